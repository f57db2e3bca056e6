using System;
using System.Collections.Generic;
using System.Linq;

namespace TypedKafka.Generators.Avro;

/// <summary>
/// At compile time: can a reader schema read every datum written with a writer schema (the Avro specification's
/// resolution rules)? Unlike the run-time planner, a problem that only some data would hit (one branch of a writer union,
/// a writer enum symbol the reader lacks without an enum default) is reported too: data written with the earlier version
/// may contain it. Works on the parsed JSON, since the rules need defaults and aliases.
/// </summary>
internal static class SchemaCompatibility
{
    /// <summary>The name of the schema attribute listing a schema's earlier versions (files of the project).</summary>
    public const string PreviousVersionsAttribute = "typedkafka.previousVersions";

    /// <summary>The first reason the reader cannot read the writer's data (with the field path), or null.</summary>
    public static string? Check(object? writer, object? reader)
    {
        var writerNames = new Dictionary<string, Dictionary<string, object?>>(StringComparer.Ordinal);
        var readerNames = new Dictionary<string, Dictionary<string, object?>>(StringComparer.Ordinal);
        Collect(writer, null, writerNames);
        Collect(reader, null, readerNames);
        var checker = new Checker(writerNames, readerNames);
        return checker.Check(Schema.Of(writer, null, writerNames), Schema.Of(reader, null, readerNames), Schema.Of(reader, null, readerNames).Name ?? "value");
    }

    private static void Collect(object? json, string? ns, Dictionary<string, Dictionary<string, object?>> names)
    {
        switch (json)
        {
            case List<object?> union:
                foreach (var branch in union)
                    Collect(branch, ns, names);
                break;
            case Dictionary<string, object?> obj:
            {
                string? type = obj.TryGetValue("type", out var t) ? t as string : null;
                if (type is null)
                {
                    if (obj.TryGetValue("type", out var nested))
                        Collect(nested, ns, names);
                    break;
                }

                if (type is "record" or "error" or "enum" or "fixed" && obj.TryGetValue("name", out var n) && n is string name)
                {
                    string full = Qualify(name, obj.TryGetValue("namespace", out var x) && x is string s ? s : ns);
                    names[full] = obj;
                    string? inner = full.Contains('.') ? full.Substring(0, full.LastIndexOf('.')) : null;
                    if (obj.TryGetValue("fields", out var f) && f is List<object?> fields)
                    {
                        foreach (var field in fields.OfType<Dictionary<string, object?>>())
                            Collect(field.TryGetValue("type", out var ft) ? ft : null, inner, names);
                    }
                }
                else if (type == "array" && obj.TryGetValue("items", out var items))
                {
                    Collect(items, ns, names);
                }
                else if (type == "map" && obj.TryGetValue("values", out var values))
                {
                    Collect(values, ns, names);
                }

                break;
            }
        }
    }

    private static string Qualify(string name, string? ns) => name.IndexOf('.') >= 0 || string.IsNullOrEmpty(ns) ? name : ns + "." + name;

    /// <summary>One schema node with named references resolved.</summary>
    private sealed class Schema
    {
        public string Type = "";
        public string? FullName;
        public string? Name;
        public string? Namespace;
        public Dictionary<string, object?>? Json;
        public List<object?>? Union;

        public static Schema Of(object? json, string? ns, Dictionary<string, Dictionary<string, object?>> names)
        {
            switch (json)
            {
                case string s:
                    if (s is "null" or "boolean" or "int" or "long" or "float" or "double" or "bytes" or "string")
                        return new Schema { Type = s };
                    if (names.TryGetValue(Qualify(s, ns), out var named) || names.TryGetValue(s, out named))
                        return Of(named, ns, names);
                    throw new FormatException($"unknown type \"{s}\"");
                case List<object?> union:
                    return new Schema { Type = "union", Union = union, Namespace = ns };
                case Dictionary<string, object?> obj:
                {
                    if (obj.TryGetValue("type", out var t) && t is not string)
                        return Of(t, ns, names);
                    string type = obj.TryGetValue("type", out var tt) && tt is string ts ? ts : throw new FormatException("a schema object without a type");
                    if (type == "error")
                        type = "record";
                    var result = new Schema { Type = type, Json = obj, Namespace = ns };
                    if (type is "record" or "enum" or "fixed")
                    {
                        string name = obj.TryGetValue("name", out var n) && n is string nn ? nn : throw new FormatException($"a {type} without a name");
                        result.FullName = Qualify(name, obj.TryGetValue("namespace", out var x) && x is string xs ? xs : ns);
                        result.Name = result.FullName.Substring(result.FullName.LastIndexOf('.') + 1);
                        result.Namespace = result.FullName.Contains('.') ? result.FullName.Substring(0, result.FullName.LastIndexOf('.')) : null;
                    }
                    else if (type is not ("array" or "map" or "null" or "boolean" or "int" or "long" or "float" or "double" or "bytes" or "string"))
                    {
                        return Of(type, ns, names);
                    }

                    return result;
                }

                default:
                    throw new FormatException("a schema must be a name, an object or a union");
            }
        }

        public IEnumerable<string> Aliases => Json is not null && Json.TryGetValue("aliases", out var a) && a is List<object?> list
            ? list.OfType<string>().Select(x => Qualify(x, Namespace))
            : Enumerable.Empty<string>();

        public string Describe() => FullName is null ? Type : $"{Type} {FullName}";
    }

    private sealed class Checker(Dictionary<string, Dictionary<string, object?>> writerNames, Dictionary<string, Dictionary<string, object?>> readerNames)
    {
        private readonly HashSet<(string, string)> _records = new();

        public string? Check(Schema w, Schema r, string path)
        {
            if (w.Type == "union")
            {
                foreach (var branch in w.Union!)
                {
                    var problem = Check(Schema.Of(branch, w.Namespace, writerNames), r, path);
                    if (problem is not null)
                        return problem;
                }

                return null;
            }

            if (r.Type == "union")
            {
                foreach (var branch in r.Union!)
                {
                    var candidate = Schema.Of(branch, r.Namespace, readerNames);
                    if (Matches(w, candidate))
                        return Check(w, candidate, path);
                }

                return $"{path}: the earlier {w.Describe()} matches no branch of the union";
            }

            switch (r.Type)
            {
                case "long": return w.Type is "int" or "long" ? null : Mismatch(w, r, path);
                case "float": return w.Type is "int" or "long" or "float" ? null : Mismatch(w, r, path);
                case "double": return w.Type is "int" or "long" or "float" or "double" ? null : Mismatch(w, r, path);
                case "bytes":
                case "string":
                    return w.Type is "bytes" or "string" ? null : Mismatch(w, r, path);
                case "array":
                    return w.Type == "array" ? Check(Items(w, "items", writerNames), Items(r, "items", readerNames), path + "[]") : Mismatch(w, r, path);
                case "map":
                    return w.Type == "map" ? Check(Items(w, "values", writerNames), Items(r, "values", readerNames), path + "{}") : Mismatch(w, r, path);
                case "fixed":
                    if (w.Type != "fixed" || !NamesMatch(w, r))
                        return Mismatch(w, r, path);
                    return Size(w) == Size(r) ? null : $"{path}: fixed {r.FullName} has size {Size(r)}, the earlier version {Size(w)}";
                case "enum":
                {
                    if (w.Type != "enum" || !NamesMatch(w, r))
                        return Mismatch(w, r, path);
                    if (r.Json!.ContainsKey("default"))
                        return null;
                    var readerSymbols = Symbols(r);
                    var missing = Symbols(w).Where(s => !readerSymbols.Contains(s)).ToList();
                    return missing.Count == 0 ? null : $"{path}: enum {r.FullName} lacks the earlier symbol(s) {string.Join(", ", missing)} and has no default";
                }

                case "record":
                {
                    if (w.Type != "record" || !NamesMatch(w, r))
                        return Mismatch(w, r, path);
                    if (!_records.Add((w.FullName!, r.FullName!)))
                        return null; // recursive: already being checked
                    var writerFields = Fields(w);
                    foreach (var rf in Fields(r))
                    {
                        string name = rf.TryGetValue("name", out var n) && n is string s ? s : "";
                        var aliases = rf.TryGetValue("aliases", out var a) && a is List<object?> list ? list.OfType<string>().ToList() : new List<string>();
                        var wf = writerFields.FirstOrDefault(f => Equals(f["name"], name)) ?? writerFields.FirstOrDefault(f => f["name"] is string wn && aliases.Contains(wn));
                        if (wf is null)
                        {
                            if (!rf.ContainsKey("default"))
                                return $"{path}.{name}: the earlier version has no field {name} and the field has no default";
                            continue;
                        }

                        var problem = Check(Schema.Of(wf["type"], w.Namespace, writerNames), Schema.Of(rf["type"], r.Namespace, readerNames), path + "." + name);
                        if (problem is not null)
                            return problem;
                    }

                    return null;
                }

                default:
                    return w.Type == r.Type ? null : Mismatch(w, r, path);
            }
        }

        private static Schema Items(Schema s, string key, Dictionary<string, Dictionary<string, object?>> names) =>
            Schema.Of(s.Json!.TryGetValue(key, out var i) ? i : throw new FormatException($"{s.Type} without {key}"), s.Namespace, names);

        private static List<Dictionary<string, object?>> Fields(Schema s) =>
            s.Json!.TryGetValue("fields", out var f) && f is List<object?> list ? list.OfType<Dictionary<string, object?>>().Where(x => x.ContainsKey("name") && x.ContainsKey("type")).ToList() : new List<Dictionary<string, object?>>();

        private static List<string> Symbols(Schema s) =>
            s.Json!.TryGetValue("symbols", out var x) && x is List<object?> list ? list.OfType<string>().ToList() : new List<string>();

        private static int Size(Schema s) => s.Json!.TryGetValue("size", out var z) && z is double d ? (int)d : -1;

        private static bool Matches(Schema w, Schema r) => r.Type switch
        {
            "record" or "enum" or "fixed" => w.Type == r.Type && NamesMatch(w, r),
            "long" => w.Type is "int" or "long",
            "float" => w.Type is "int" or "long" or "float",
            "double" => w.Type is "int" or "long" or "float" or "double",
            "bytes" or "string" => w.Type is "bytes" or "string",
            _ => w.Type == r.Type,
        };

        private static bool NamesMatch(Schema w, Schema r) =>
            w.FullName == r.FullName || w.Name == r.Name || r.Aliases.Contains(w.FullName!);

        private static string Mismatch(Schema w, Schema r, string path) => $"{path}: the earlier {w.Describe()} cannot be read as {r.Describe()}";
    }
}
