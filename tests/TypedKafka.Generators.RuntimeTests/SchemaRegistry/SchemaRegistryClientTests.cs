using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TypedKafka.SchemaRegistry;
using TypedKafka.Testing.SchemaRegistry;

namespace TypedKafka.RuntimeTests.SchemaRegistry;

/// <summary>The product's Schema Registry client against an in-process registry speaking Confluent's REST API.</summary>
public class SchemaRegistryClientTests
{
    private const string SchemaA = """{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}""";
    private const string SchemaB = """{"type":"record","name":"A","fields":[{"name":"x","type":"long"}]}""";

    private static SchemaRegistryOptions Options(string url) => new()
    {
        Url = url,
        RetryBackoff = TimeSpan.FromMilliseconds(5),
        MaxRetryBackoff = TimeSpan.FromMilliseconds(20),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    private static SchemaRegistryOptions WithBasic(SchemaRegistryOptions options, string userInfo)
    {
        options.BasicAuthUserInfo = userInfo;
        return options;
    }

    [Fact]
    public async Task Schema_by_id_is_fetched_once_and_subjects_and_versions_are_listed()
    {
        await using var registry = new TestSchemaRegistry();
        int a = registry.Register("orders-value", SchemaA);
        int b = registry.Register("orders-value", SchemaB);
        registry.Register("other-value", SchemaA);
        using var client = new SchemaRegistryClient(Options(registry.Url));

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(SchemaA, client.GetSchema(a).Schema);
            Assert.Equal(SchemaB, (await client.GetSchemaAsync(b)).Schema);
        }

        Assert.Equal(1, registry.Count($"GET /schemas/ids/{a}"));
        Assert.Equal(1, registry.Count($"GET /schemas/ids/{b}"));
        Assert.Equal("AVRO", client.GetSchema(a).SchemaType);
        Assert.Equal(["orders-value", "other-value"], (await client.GetSubjectsAsync()).Order(StringComparer.Ordinal));
        Assert.Equal([1, 2], await client.GetVersionsAsync("orders-value"));
        var latest = await client.GetSchemaAsync("orders-value", null);
        Assert.Equal((b, 2, "orders-value"), (latest.Id, latest.Version!.Value, latest.Subject!));
        Assert.Equal(a, (await client.GetSchemaAsync("orders-value", 1)).Id);
    }

    [Fact]
    public async Task Concurrent_lookups_of_one_id_send_one_request()
    {
        await using var registry = new TestSchemaRegistry();
        int id = registry.Register("s", SchemaA);
        using var client = new SchemaRegistryClient(Options(registry.Url));
        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? Task.Run(() => client.GetSchema(id)) : client.GetSchemaAsync(id)));
        Assert.Equal(1, registry.Count($"GET /schemas/ids/{id}"));
    }

    [Fact]
    public async Task Unknown_id_is_a_permanent_error_with_the_registry_message()
    {
        await using var registry = new TestSchemaRegistry();
        using var client = new SchemaRegistryClient(Options(registry.Url));
        var e = Assert.Throws<SchemaRegistryException>(() => client.GetSchema(77));
        Assert.False(e.IsRetriable);
        Assert.Equal((404, 40403), (e.StatusCode, e.ErrorCode));
        Assert.Contains("Schema 77 not found", e.Message);
        Assert.Equal(1, registry.Count("GET /schemas/ids/77"));
    }

    [Fact]
    public async Task Basic_and_bearer_credentials_are_sent_and_wrong_ones_are_refused()
    {
        await using var registry = new TestSchemaRegistry { RequiredBasicUserInfo = "ann:s3cret" };
        int id = registry.Register("s", SchemaA);
        using (var client = new SchemaRegistryClient(WithBasic(Options(registry.Url), "ann:s3cret")))
            Assert.Equal(SchemaA, client.GetSchema(id).Schema);
        using (var wrong = new SchemaRegistryClient(WithBasic(Options(registry.Url), "ann:nope")))
        {
            var e = Assert.Throws<SchemaRegistryException>(() => wrong.GetSchema(id));
            Assert.Equal(401, e.StatusCode);
            Assert.False(e.IsRetriable);
        }

        registry.RequiredBasicUserInfo = null;
        registry.RequiredBearerToken = "tok-123";
        var bearer = Options(registry.Url);
        bearer.BearerToken = "tok-123";
        using (var client = new SchemaRegistryClient(bearer))
            Assert.Equal(SchemaA, (await client.GetSchemaAsync(id)).Schema);
    }

    [Fact]
    public async Task Server_errors_are_retried_with_backoff_then_reported_as_retriable()
    {
        await using var registry = new TestSchemaRegistry();
        int id = registry.Register("s", SchemaA);
        using var client = new SchemaRegistryClient(Options(registry.Url));
        registry.FailNext(2, 503);
        Assert.Equal(SchemaA, client.GetSchema(id).Schema);
        Assert.Equal(3, registry.Count($"GET /schemas/ids/{id}"));

        registry.FailNext(100, 500);
        var e = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.GetSchemaAsync(id + 1));
        Assert.True(e.IsRetriable);
        Assert.Contains("500", e.Message);
        Assert.Contains("after 4 attempts", e.Message);
        Assert.Equal(4, registry.Count($"GET /schemas/ids/{id + 1}"));
    }

    [Fact]
    public async Task A_slow_registry_times_out_per_request_with_a_clear_retriable_error()
    {
        await using var registry = new TestSchemaRegistry { Hang = true };
        int id = registry.Register("s", SchemaA);
        var options = Options(registry.Url);
        options.RequestTimeout = TimeSpan.FromMilliseconds(200);
        options.MaxRetries = 1;
        using var client = new SchemaRegistryClient(options);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<SchemaRegistryException>(() => client.GetSchema(id));
        Assert.True(e.IsRetriable);
        Assert.Contains("no answer within 0.2 s", e.Message);
        Assert.Contains("after 2 attempts", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");

        registry.Hang = false;
        Assert.Equal(SchemaA, client.GetSchema(id).Schema);
    }

    [Fact]
    public void A_registry_that_is_down_is_a_retriable_error_naming_it()
    {
        var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        int port = ((IPEndPoint)socket.LocalEndpoint).Port;
        socket.Stop();
        var options = Options($"http://127.0.0.1:{port}");
        options.MaxRetries = 1;
        using var client = new SchemaRegistryClient(options);
        var e = Assert.Throws<SchemaRegistryException>(() => client.GetSchema(1));
        Assert.True(e.IsRetriable);
        Assert.Contains($"http://127.0.0.1:{port} could not be reached for GET /schemas/ids/1 after 2 attempts", e.Message);
    }

    [Fact]
    public async Task A_second_url_is_used_when_the_first_is_down()
    {
        await using var registry = new TestSchemaRegistry();
        int id = registry.Register("s", SchemaA);
        var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        int port = ((IPEndPoint)socket.LocalEndpoint).Port;
        socket.Stop();
        using var client = new SchemaRegistryClient(Options($"http://127.0.0.1:{port}, {registry.Url}"));
        Assert.Equal(SchemaA, client.GetSchema(id).Schema);
    }

    [Fact]
    public async Task The_cache_is_bounded()
    {
        await using var registry = new TestSchemaRegistry();
        var ids = Enumerable.Range(0, 6).Select(i => registry.Register("s", $$"""{"type":"fixed","name":"F{{i}}","size":1}""")).ToList();
        var options = Options(registry.Url);
        options.MaxCachedSchemas = 2;
        using var client = new SchemaRegistryClient(options);
        foreach (int id in ids)
            client.GetSchema(id);
        foreach (int id in ids)
            client.GetSchema(id);
        int requests = ids.Sum(id => registry.Count($"GET /schemas/ids/{id}"));
        Assert.True(requests > ids.Count, $"{requests} requests: nothing was evicted from a cache of 2");
    }

    [Fact]
    public async Task Tls_with_a_custom_ca_is_verified_and_an_untrusted_certificate_is_refused()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var serverCertificate = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        string caFile = Path.Combine(Path.GetTempPath(), $"tk-registry-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(caFile, certificate.ExportCertificatePem());
        try
        {
            await using var registry = new TestSchemaRegistry(serverCertificate);
            int id = registry.Register("s", SchemaA);
            Assert.StartsWith("https://", registry.Url);

            var trusted = Options(registry.Url);
            trusted.SslCaLocation = caFile;
            using (var client = new SchemaRegistryClient(trusted))
                Assert.Equal(SchemaA, client.GetSchema(id).Schema);

            var untrusted = Options(registry.Url);
            untrusted.MaxRetries = 0;
            using (var client = new SchemaRegistryClient(untrusted))
                Assert.Throws<SchemaRegistryException>(() => client.GetSchema(id));

            var unverified = Options(registry.Url);
            unverified.EnableSslCertificateVerification = false;
            using (var client = new SchemaRegistryClient(unverified))
                Assert.Equal(SchemaA, (await client.GetSchemaAsync(id)).Schema);
        }
        finally
        {
            File.Delete(caFile);
        }
    }

    [Theory]
    [InlineData("", "Url is required")]
    [InlineData("ftp://x", "not an http or https URL")]
    public void Bad_options_are_refused_naming_the_setting(string url, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new SchemaRegistryOptions { Url = url }.Validate());
        Assert.Contains(message, e.Message);
        var both = new SchemaRegistryOptions { Url = "http://x", BasicAuthUserInfo = "a:b", BearerToken = "t" };
        Assert.Contains("not both", Assert.Throws<ArgumentException>(both.Validate).Message);
    }
}
