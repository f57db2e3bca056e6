using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace TypedKafka.Hosting.SchemaRegistryTests;

/// <summary>TypedKafka:SchemaRegistry binds (without reflection) and is validated at start.</summary>
public sealed class SchemaRegistryOptionsBindingTests
{
    private static TypedKafkaOptions Bind(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddTypedKafka();
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<TypedKafkaOptions>>().Value;
    }

    [Fact]
    public void Every_schema_registry_setting_binds()
    {
        var options = Bind(new()
        {
            ["TypedKafka:BootstrapServers"] = "localhost:9092",
            ["TypedKafka:SchemaRegistry:Url"] = "https://a:8081,https://b:8081",
            ["TypedKafka:SchemaRegistry:BasicAuthUserInfo"] = "ann:pw",
            ["TypedKafka:SchemaRegistry:RequestTimeout"] = "00:00:05",
            ["TypedKafka:SchemaRegistry:MaxRetries"] = "7",
            ["TypedKafka:SchemaRegistry:RetryBackoff"] = "00:00:00.250",
            ["TypedKafka:SchemaRegistry:MaxRetryBackoff"] = "00:00:03",
            ["TypedKafka:SchemaRegistry:MaxCachedSchemas"] = "50",
            ["TypedKafka:SchemaRegistry:SslCaLocation"] = "/etc/ca.pem",
            ["TypedKafka:SchemaRegistry:EnableSslCertificateVerification"] = "false",
        });
        var registry = options.SchemaRegistry!;
        Assert.Equal(["https://a:8081/", "https://b:8081/"], registry.Urls().Select(u => u.ToString()));
        Assert.Equal("ann:pw", registry.BasicAuthUserInfo);
        Assert.Equal(TimeSpan.FromSeconds(5), registry.RequestTimeout);
        Assert.Equal(7, registry.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(250), registry.RetryBackoff);
        Assert.Equal(TimeSpan.FromSeconds(3), registry.MaxRetryBackoff);
        Assert.Equal(50, registry.MaxCachedSchemas);
        Assert.Equal("/etc/ca.pem", registry.SslCaLocation);
        Assert.False(registry.EnableSslCertificateVerification);
    }

    [Fact]
    public void Without_the_section_there_is_no_registry_and_a_bad_value_names_its_key()
    {
        Assert.Null(Bind(new() { ["TypedKafka:BootstrapServers"] = "localhost:9092" }).SchemaRegistry);
        var e = Assert.ThrowsAny<Exception>(() => Bind(new() { ["TypedKafka:SchemaRegistry:MaxRetries"] = "many" }));
        Assert.Contains("TypedKafka:SchemaRegistry:MaxRetries", e.Message);
        var invalid = Assert.Throws<ArgumentException>(() => Bind(new() { ["TypedKafka:BootstrapServers"] = "localhost:9092", ["TypedKafka:SchemaRegistry:Url"] = "ftp://x" }));
        Assert.Contains("not an http or https URL", invalid.Message);
    }
}
