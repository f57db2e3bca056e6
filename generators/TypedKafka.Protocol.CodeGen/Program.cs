using TypedKafka.Protocol.CodeGen;

// Usage: dotnet run --project generators/TypedKafka.Protocol.CodeGen [-- <repository root>] [--check]
// Reads src/TypedKafka.Protocol/Messages/Definitions, (re)writes src/TypedKafka.Protocol/Messages/Generated.
// --check writes nothing and exits 1 when the checked-in files differ from what would be generated.
bool check = args.Contains("--check");
string? root = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? FindRoot(Directory.GetCurrentDirectory());
if (root is null)
{
    Console.Error.WriteLine("Cannot find the repository root (a folder with TypedKafka.sln); pass it as the first argument.");
    return 2;
}

string messages = Path.Combine(root, "src", "TypedKafka.Protocol", "Messages");
string output = Path.Combine(messages, "Generated");
var files = ProtocolCodeGenerator.Generate(Path.Combine(messages, "Definitions"));
var expected = files.Select(f => f.FileName).ToHashSet(StringComparer.Ordinal);
int differences = 0;
Directory.CreateDirectory(output);
foreach (var (name, content) in files)
{
    string path = Path.Combine(output, name);
    if (File.Exists(path) && File.ReadAllText(path) == content) continue;
    differences++;
    Console.WriteLine($"{(check ? "differs" : "writing")}: {path}");
    if (!check) File.WriteAllText(path, content);
}
foreach (var stale in Directory.GetFiles(output, "*.g.cs").Where(p => !expected.Contains(Path.GetFileName(p))))
{
    differences++;
    Console.WriteLine($"{(check ? "stale" : "deleting")}: {stale}");
    if (!check) File.Delete(stale);
}
Console.WriteLine($"{files.Count} file(s), {differences} {(check ? "different" : "updated")}.");
return check && differences > 0 ? 1 : 0;

static string? FindRoot(string start)
{
    for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "TypedKafka.sln"))) return dir.FullName;
    }
    return null;
}
