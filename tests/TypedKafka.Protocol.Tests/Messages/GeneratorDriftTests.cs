using TypedKafka.Protocol.CodeGen;

namespace TypedKafka.Protocol.Tests.Messages;

public class GeneratorDriftTests
{
    [Fact]
    public void CheckedInGeneratedCodeMatchesTheGenerator()
    {
        var generated = ProtocolCodeGenerator.Generate(MessageCatalog.DefinitionsDirectory);
        string folder = Path.Combine(MessageCatalog.MessagesDirectory, "Generated");
        var onDisk = Directory.GetFiles(folder, "*.g.cs").Select(p => Path.GetFileName(p)!).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Equal(generated.Select(g => g.FileName).ToList(), onDisk);
        foreach (var (name, content) in generated)
        {
            // Compare with normalized line endings: a Windows checkout may turn \n into \r\n.
            string checkedIn = File.ReadAllText(Path.Combine(folder, name)).Replace("\r\n", "\n", StringComparison.Ordinal);
            Assert.True(content == checkedIn,
                $"{name} is out of date. Regenerate: dotnet run --project generators/TypedKafka.Protocol.CodeGen");
        }
    }

    [Fact]
    public void GenerationIsDeterministic()
    {
        var first = ProtocolCodeGenerator.Generate(MessageCatalog.DefinitionsDirectory);
        var second = ProtocolCodeGenerator.Generate(MessageCatalog.DefinitionsDirectory);
        Assert.Equal(first, second);
    }

    [Fact]
    public void DefinitionsCarryANotice()
    {
        string notice = File.ReadAllText(Path.Combine(MessageCatalog.DefinitionsDirectory, "NOTICE"));
        Assert.Contains("Apache Kafka", notice, StringComparison.Ordinal);
        Assert.Contains("Apache License, Version 2.0", notice, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyEnumHasEveryKeyInTheDefinitions()
    {
        Assert.Equal(0, (short)ApiKey.Produce);
        Assert.Equal(1, (short)ApiKey.Fetch);
        Assert.Equal(18, (short)ApiKey.ApiVersions);
        Assert.Equal(68, (short)ApiKey.ConsumerGroupHeartbeat);
        int requests = Directory.GetFiles(MessageCatalog.DefinitionsDirectory, "*Request.json")
            .Count(p => File.ReadAllText(p).Contains("\"apiKey\"", StringComparison.Ordinal));
        Assert.Equal(requests, Enum.GetValues<ApiKey>().Length);
        Assert.Equal("Unknown(999)", ApiKeys.Name(999));
        Assert.Equal(12, ApiKeys.FirstFlexibleVersion((short)ApiKey.Fetch));
        Assert.Equal(-1, ApiKeys.FirstFlexibleVersion((short)ApiKey.SaslHandshake));
    }
}
