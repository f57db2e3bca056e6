using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace TypedKafka.Generators.Avro;

/// <summary>
/// A small JSON reader for .avsc files (netstandard2.0 analyzers cannot count on System.Text.Json being loadable).
/// Objects become Dictionary&lt;string, object?&gt;, arrays List&lt;object?&gt;, numbers double, strings string.
/// </summary>
internal sealed class MiniJson
{
    private readonly string _text;
    private int _pos;

    private MiniJson(string text) => _text = text;

    public static object? Parse(string text)
    {
        var parser = new MiniJson(text);
        var value = parser.Value();
        parser.Whitespace();
        if (parser._pos != text.Length)
            throw parser.Error("unexpected text after the JSON value");
        return value;
    }

    private object? Value()
    {
        Whitespace();
        if (_pos >= _text.Length)
            throw Error("unexpected end of file");
        char c = _text[_pos];
        switch (c)
        {
            case '{': return Object();
            case '[': return Array();
            case '"': return String();
            case 't': Literal("true"); return true;
            case 'f': Literal("false"); return false;
            case 'n': Literal("null"); return null;
            default: return Number();
        }
    }

    private Dictionary<string, object?> Object()
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        _pos++;
        Whitespace();
        if (Peek() == '}')
        {
            _pos++;
            return result;
        }

        while (true)
        {
            Whitespace();
            if (Peek() != '"')
                throw Error("expected a property name");
            string name = String();
            Whitespace();
            Expect(':');
            result[name] = Value();
            Whitespace();
            if (Peek() == ',')
            {
                _pos++;
                continue;
            }

            Expect('}');
            return result;
        }
    }

    private List<object?> Array()
    {
        var result = new List<object?>();
        _pos++;
        Whitespace();
        if (Peek() == ']')
        {
            _pos++;
            return result;
        }

        while (true)
        {
            result.Add(Value());
            Whitespace();
            if (Peek() == ',')
            {
                _pos++;
                continue;
            }

            Expect(']');
            return result;
        }
    }

    private string String()
    {
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
                throw Error("unterminated string");
            char c = _text[_pos++];
            if (c == '"')
                return sb.ToString();
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (_pos >= _text.Length)
                throw Error("unterminated escape");
            char e = _text[_pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u':
                    if (_pos + 4 > _text.Length)
                        throw Error("bad \\u escape");
                    sb.Append((char)int.Parse(_text.Substring(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    _pos += 4;
                    break;
                default: sb.Append(e); break;
            }
        }
    }

    private double Number()
    {
        int start = _pos;
        while (_pos < _text.Length && "+-0123456789.eE".IndexOf(_text[_pos]) >= 0)
            _pos++;
        if (start == _pos || !double.TryParse(_text.Substring(start, _pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw Error("invalid value");
        return value;
    }

    private void Literal(string literal)
    {
        if (string.CompareOrdinal(_text, _pos, literal, 0, literal.Length) != 0)
            throw Error("invalid literal");
        _pos += literal.Length;
    }

    private void Expect(char c)
    {
        if (Peek() != c)
            throw Error($"expected '{c}'");
        _pos++;
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void Whitespace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
            _pos++;
    }

    private FormatException Error(string what)
    {
        int line = 1;
        for (int i = 0; i < _pos && i < _text.Length; i++)
        {
            if (_text[i] == '\n')
                line++;
        }

        return new FormatException($"{what} (line {line})");
    }
}
