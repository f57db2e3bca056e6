using System.Reflection;
using System.Xml.Linq;

namespace TypedKafka.Architecture.Tests;

/// <summary>
/// The layering of the shipped libraries (issue 12), checked in both places it could break: the project references
/// in each <c>src/*/*.csproj</c>, and the assembly references the compiler actually emitted. Each library may use only
/// the layers below it: the protocol nothing of ours; the client the protocol; Abstractions the client; Hosting the
/// client and Abstractions. Nothing in the product may use TypedKafka.Testing (the test kit with the embedded
/// cluster), which itself sits on the protocol only.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>Library → the TypedKafka libraries it may reference. The protocol's types reach every layer above it
    /// through the client's API (records, TimestampType), so a layer may also name the protocol directly.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["TypedKafka.Protocol"] = [],
        ["TypedKafka"] = ["TypedKafka.Protocol"],
        ["TypedKafka.Abstractions"] = ["TypedKafka", "TypedKafka.Protocol"],
        ["TypedKafka.Hosting"] = ["TypedKafka", "TypedKafka.Abstractions", "TypedKafka.Protocol"],
        ["TypedKafka.Testing"] = ["TypedKafka.Protocol"],
    };

    /// <summary>Library → projects it may reference without referencing their assembly
    /// (<c>ReferenceOutputAssembly="false"</c>): TypedKafka.Hosting builds the source generator only to carry it in
    /// its package under <c>analyzers/dotnet/cs</c> (issue 11); none of its code can use the generator's types.</summary>
    private static readonly Dictionary<string, string[]> PackedOnly = new(StringComparer.Ordinal)
    {
        ["TypedKafka.Hosting"] = ["TypedKafka.Generators"],
    };

    public static TheoryData<string> Libraries() => new(Allowed.Keys);

    [Theory]
    [MemberData(nameof(Libraries))]
    public void A_library_references_only_the_layers_below_it_in_its_compiled_assembly(string library)
    {
        var assembly = Assembly.Load(new AssemblyName(library));

        var ours = assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(IsOurs)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.All(ours, name => Assert.True(Allowed[library].Contains(name),
            $"{library} references {name}; it may reference only {Describe(Allowed[library])}."));
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public void A_library_references_only_the_layers_below_it_in_its_project_file(string library)
    {
        var project = Path.Combine(RepositoryRoot(), "src", library, library + ".csproj");

        var references = XDocument.Load(project).Descendants("ProjectReference")
            .Select(r => (Name: Path.GetFileNameWithoutExtension((string)r.Attribute("Include")!),
                AssemblyReferenced: !string.Equals((string?)r.Attribute("ReferenceOutputAssembly"), "false", StringComparison.OrdinalIgnoreCase)))
            .ToList();

        Assert.All(references, reference => Assert.True(
            Allowed[library].Contains(reference.Name)
                || (!reference.AssemblyReferenced && PackedOnly.GetValueOrDefault(library, []).Contains(reference.Name)),
            $"{project} references {reference.Name}; {library} may reference only {Describe(Allowed[library])}" +
            (PackedOnly.TryGetValue(library, out var packed) ? $" (and, without its assembly, {Describe(packed)})." : ".")));
    }

    [Fact]
    public void Every_library_under_src_is_in_the_layering()
    {
        var libraries = Directory.GetDirectories(Path.Combine(RepositoryRoot(), "src"))
            .Where(d => File.Exists(Path.Combine(d, Path.GetFileName(d) + ".csproj")))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal);

        Assert.Equal(Allowed.Keys.Order(StringComparer.Ordinal), libraries);
    }

    [Theory]
    [InlineData("TypedKafka", "TypedKafka.Protocol")]
    [InlineData("TypedKafka.Abstractions", "TypedKafka")]
    [InlineData("TypedKafka.Hosting", "TypedKafka.Abstractions")]
    [InlineData("TypedKafka.Testing", "TypedKafka.Protocol")]
    public void The_references_read_from_a_compiled_assembly_are_its_real_ones(string library, string uses)
    {
        // Guards the checks above against passing on an empty list.
        Assert.Contains(Assembly.Load(new AssemblyName(library)).GetReferencedAssemblies(), a => a.Name == uses);
    }

    [Fact]
    public void No_product_library_references_the_test_kit()
    {
        foreach (var library in Allowed.Keys.Where(l => l != "TypedKafka.Testing"))
        {
            var assembly = Assembly.Load(new AssemblyName(library));
            Assert.DoesNotContain(assembly.GetReferencedAssemblies(), a => a.Name == "TypedKafka.Testing");
        }
    }

    private static bool IsOurs(string name) => name == "TypedKafka" || name.StartsWith("TypedKafka.", StringComparison.Ordinal);

    private static string Describe(string[] allowed) => allowed.Length == 0 ? "nothing of ours" : string.Join(", ", allowed);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TypedKafka.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No TypedKafka.sln above {AppContext.BaseDirectory}.");
    }
}
