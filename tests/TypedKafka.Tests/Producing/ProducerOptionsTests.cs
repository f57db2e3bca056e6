namespace TypedKafka.Tests.Producing;

public class ProducerOptionsTests
{
    [Fact]
    public void Defaults_follow_the_Java_client()
    {
        var options = new ProducerOptions();
        Assert.Equal(Acks.All, options.Acks);
        Assert.True(options.EnableIdempotence);
        Assert.Equal(TimeSpan.FromMilliseconds(5), options.Linger);
        Assert.Equal(16_384, options.BatchSize);
        Assert.Equal(5, options.MaxInFlightRequestsPerConnection);
        Assert.Equal(TimeSpan.FromSeconds(120), options.DeliveryTimeout);
        Assert.Equal(CompressionType.None, options.CompressionType);
        options.Validate();
    }

    [Fact]
    public void FromDictionary_takes_Java_names()
    {
        var options = ProducerOptions.FromDictionary(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = "a:1,b:2",
            ["client.id"] = "java",
            ["acks"] = "all",
            ["enable.idempotence"] = "true",
            ["linger.ms"] = "20",
            ["batch.size"] = "65536",
            ["compression.type"] = "zstd",
            ["max.in.flight.requests.per.connection"] = "3",
            ["delivery.timeout.ms"] = "60000",
            ["request.timeout.ms"] = "10000",
            ["max.request.size"] = "2097152",
            ["max.block.ms"] = "1000",
            ["buffer.memory"] = "67108864",
            ["retry.backoff.ms"] = "50",
            ["security.protocol"] = "SASL_SSL",
            ["sasl.mechanism"] = "SCRAM-SHA-512",
            ["sasl.username"] = "u",
            ["sasl.password"] = "p",
        });
        Assert.Equal("a:1,b:2", options.BootstrapServers);
        Assert.Equal("java", options.ClientId);
        Assert.Equal(TimeSpan.FromMilliseconds(20), options.Linger);
        Assert.Equal(65_536, options.BatchSize);
        Assert.Equal(CompressionType.Zstd, options.CompressionType);
        Assert.Equal(3, options.MaxInFlightRequestsPerConnection);
        Assert.Equal(TimeSpan.FromSeconds(60), options.DeliveryTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RequestTimeout);
        Assert.Equal(2_097_152, options.MaxRequestSize);
        Assert.Equal(TimeSpan.FromSeconds(1), options.MaxBlock);
        Assert.Equal(67_108_864, options.BufferMemory);
        Assert.Equal(SecurityProtocol.SaslSsl, options.SecurityProtocol);
        Assert.Equal(SaslMechanism.ScramSha512, options.SaslMechanism);
    }

    [Fact]
    public void FromDictionary_takes_kafka_python_names()
    {
        var options = ProducerOptions.FromDictionary(new Dictionary<string, string>
        {
            ["bootstrap_servers"] = "h:9092",
            ["acks"] = "1",
            ["enable_idempotence"] = "false",
            ["linger_ms"] = "0",
            ["batch_size"] = "1000",
            ["compression_type"] = "gzip",
            ["max_in_flight_requests_per_connection"] = "1",
            ["retry_backoff_ms"] = "200",
            ["max_request_size"] = "100000",
            ["sasl_plain_username"] = "x",
        });
        Assert.Equal(Acks.Leader, options.Acks);
        Assert.False(options.EnableIdempotence);
        Assert.Equal(TimeSpan.Zero, options.Linger);
        Assert.Equal(CompressionType.Gzip, options.CompressionType);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.RetryBackoff);
        Assert.Equal("x", options.SaslUsername);
    }

    [Theory]
    [InlineData("linger.ms", "soon", "linger.ms")]
    [InlineData("compression.type", "brotli", "brotli")]
    [InlineData("acks", "2", "'2'")]
    [InlineData("no.such.setting", "1", "no.such.setting")]
    public void FromDictionary_names_the_bad_key_or_value(string key, string value, string named)
    {
        var error = Assert.Throws<ArgumentException>(() => ProducerOptions.FromDictionary(new Dictionary<string, string> { [key] = value }));
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Idempotence_needs_acks_all_and_at_most_five_requests_in_flight()
    {
        var acks = Assert.Throws<ArgumentException>(() => new ProducerOptions { Acks = Acks.Leader }.Validate());
        Assert.Equal("Acks", acks.ParamName);
        var inFlight = Assert.Throws<ArgumentException>(() => new ProducerOptions { MaxInFlightRequestsPerConnection = 6 }.Validate());
        Assert.Equal("MaxInFlightRequestsPerConnection", inFlight.ParamName);
        new ProducerOptions { Acks = Acks.Leader, EnableIdempotence = false, MaxInFlightRequestsPerConnection = 6 }.Validate();
    }

    [Fact]
    public void Acks_none_is_refused_with_a_reason()
    {
        var error = Assert.Throws<ArgumentException>(() => new ProducerOptions { Acks = Acks.None, EnableIdempotence = false }.Validate());
        Assert.Contains("acks=0", error.Message);
    }

    [Fact]
    public void Security_rules_are_the_consumers()
    {
        var error = Assert.Throws<ArgumentException>(() => new ProducerOptions { SecurityProtocol = SecurityProtocol.SaslPlaintext }.Validate());
        Assert.Contains("SaslMechanism", error.Message);
        Assert.Contains("ProducerOptions", error.Message);
    }
}
