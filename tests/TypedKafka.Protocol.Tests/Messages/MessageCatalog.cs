using System.Reflection;
using TypedKafka.Protocol.CodeGen;

namespace TypedKafka.Protocol.Tests.Messages;

/// <summary>Every generated message with its parsed definition, so tests can walk all versions and fields.</summary>
public static class MessageCatalog
{
    public static string RepositoryRoot() => Root.Value;

    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    // Walks up from the test binaries to the folder holding TypedKafka.sln. ([CallerFilePath] is not used: CI builds
    // map source paths to /_/ for determinism.)
    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TypedKafka.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No TypedKafka.sln above {AppContext.BaseDirectory}.");
    }

    public static string MessagesDirectory => Path.Combine(RepositoryRoot(), "src", "TypedKafka.Protocol", "Messages");

    public static string DefinitionsDirectory => Path.Combine(MessagesDirectory, "Definitions");

    private static readonly Lazy<IReadOnlyList<(MessageSpec Spec, Type Type)>> Entries = new(() =>
    {
        var names = ProtocolCodeGenerator.Apis.SelectMany(a => new[] { a + "Request", a + "Response" })
            .Concat(ProtocolCodeGenerator.DataStructures);
        var assembly = typeof(KafkaReader).Assembly;
        return names.Select(n => (
            MessageSpec.Parse(File.ReadAllText(Path.Combine(DefinitionsDirectory, n + ".json"))),
            assembly.GetType("TypedKafka.Protocol." + n, throwOnError: true)!)).ToList();
    });

    public static IReadOnlyList<(MessageSpec Spec, Type Type)> All => Entries.Value;

    public static (MessageSpec Spec, Type Type) Get(string name) => All.Single(e => e.Spec.Name == name);

    /// <summary>xunit data: one row per message and version.</summary>
    public static IEnumerable<object[]> MessageVersions() =>
        All.SelectMany(e => Enumerable.Range(e.Spec.ValidVersions.Low, e.Spec.ValidVersions.High - e.Spec.ValidVersions.Low + 1)
            .Select(v => new object[] { e.Spec.Name, (short)v }));

    public static IEnumerable<object[]> Messages() => All.Select(e => new object[] { e.Spec.Name });

    public static byte[] Encode(IKafkaMessage message, short version)
    {
        int size = message.ComputeSize(version);
        var buffer = new byte[size];
        var writer = new KafkaWriter(buffer);
        message.Write(ref writer, version);
        Assert.Equal(size, writer.Position);
        return buffer;
    }

    /// <summary>Calls the static <c>Read(ref KafkaReader, short)</c> of <paramref name="type"/> through a typed delegate.</summary>
    public static Func<ReadOnlyMemory<byte>, short, object> Decoder(Type type)
    {
        var method = typeof(MessageCatalog).GetMethod(nameof(DecodeGeneric), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type);
        return method.CreateDelegate<Func<ReadOnlyMemory<byte>, short, object>>();
    }

    private static object DecodeGeneric<T>(ReadOnlyMemory<byte> data, short version)
        where T : class, IKafkaMessage<T>
    {
        var reader = new KafkaReader(data);
        return T.Read(ref reader, version);
    }
}
