using System.Globalization;
using System.Text;

namespace TypedKafka.Generators;

/// <summary>
/// System.Text.Json's naming policies, applied at compile time. Values match TypedKafka.KafkaJsonNamingPolicy.
/// The rules are the documented behaviour of JsonNamingPolicy.CamelCase / SnakeCase* / KebabCase*; the runtime
/// tests compare them with the real policies on a set of names.
/// </summary>
internal static class JsonNaming
{
    public const int Unspecified = -1;
    public const int None = 0;
    public const int CamelCase = 1;
    public const int SnakeCaseLower = 2;
    public const int SnakeCaseUpper = 3;
    public const int KebabCaseLower = 4;
    public const int KebabCaseUpper = 5;

    public static string Apply(int policy, string name) => policy switch
    {
        CamelCase => ToCamelCase(name),
        SnakeCaseLower => Separate(name, '_', lower: true),
        SnakeCaseUpper => Separate(name, '_', lower: false),
        KebabCaseLower => Separate(name, '-', lower: true),
        KebabCaseUpper => Separate(name, '-', lower: false),
        _ => name,
    };

    // Lower-cases the leading run of capitals, keeping the last capital of a run that starts a new word ("URLValue" -> "urlValue").
    private static string ToCamelCase(string name)
    {
        if (name.Length == 0 || !char.IsUpper(name[0]))
            return name;
        var chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (i == 1 && !char.IsUpper(chars[i]))
                break;
            bool hasNext = i + 1 < chars.Length;
            if (i > 0 && hasNext && !char.IsUpper(chars[i + 1]))
            {
                if (chars[i + 1] == ' ')
                    chars[i] = char.ToLowerInvariant(chars[i]);
                break;
            }

            chars[i] = char.ToLowerInvariant(chars[i]);
        }

        return new string(chars);
    }

    private enum State
    {
        Start,
        Upper,
        LowerOrDigit,
        Space,
    }

    // Word boundaries: lower/digit -> upper, upper -> upper followed by lower ("XMLHttp" -> "xml_http"), and spaces.
    private static string Separate(string name, char separator, bool lower)
    {
        var sb = new StringBuilder(name.Length + 8);
        var state = State.Start;
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            switch (char.GetUnicodeCategory(c))
            {
                case UnicodeCategory.UppercaseLetter:
                    switch (state)
                    {
                        case State.LowerOrDigit:
                        case State.Space:
                            sb.Append(separator);
                            break;
                        case State.Upper:
                            if (i + 1 < name.Length && char.IsLower(name[i + 1]))
                                sb.Append(separator);
                            break;
                    }

                    sb.Append(lower ? char.ToLowerInvariant(c) : c);
                    state = State.Upper;
                    break;
                case UnicodeCategory.LowercaseLetter:
                case UnicodeCategory.DecimalDigitNumber:
                    if (state == State.Space)
                        sb.Append(separator);
                    sb.Append(lower ? c : char.ToUpperInvariant(c));
                    state = State.LowerOrDigit;
                    break;
                case UnicodeCategory.SpaceSeparator:
                    if (state != State.Start)
                        state = State.Space;
                    break;
                default:
                    sb.Append(c);
                    state = State.Start;
                    break;
            }
        }

        return sb.ToString();
    }
}
