namespace TypedKafka.Tests.Configuration;

public sealed class ConsumerOptionsTests
{
    [Fact]
    public void Defaults_follow_kafka_python()
    {
        var o = new ConsumerOptions();
        Assert.Equal("localhost:9092", o.BootstrapServers);
        Assert.Null(o.GroupId);
        Assert.Equal(1, o.FetchMinBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.FetchMaxWait);
        Assert.Equal(52_428_800, o.FetchMaxBytes);
        Assert.Equal(1_048_576, o.MaxPartitionFetchBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(305_000), o.RequestTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(100), o.RetryBackoff);
        Assert.Equal(TimeSpan.FromMilliseconds(50), o.ReconnectBackoff);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), o.ReconnectBackoffMax);
        Assert.Equal(5, o.MaxInFlightRequestsPerConnection);
        Assert.Equal(AutoOffsetReset.Latest, o.AutoOffsetReset);
        Assert.True(o.EnableAutoCommit);
        Assert.Equal(TimeSpan.FromSeconds(5), o.AutoCommitInterval);
        Assert.True(o.CheckCrcs);
        Assert.Equal(IsolationLevel.ReadUncommitted, o.IsolationLevel);
        Assert.Equal(TimeSpan.FromMinutes(5), o.MetadataMaxAge);
        Assert.Equal([PartitionAssignmentStrategy.Range, PartitionAssignmentStrategy.RoundRobin], o.PartitionAssignmentStrategy);
        Assert.Equal(500, o.MaxPollRecords);
        Assert.Equal(TimeSpan.FromMinutes(5), o.MaxPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), o.SessionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), o.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(540_000), o.ConnectionsMaxIdle);
        Assert.Null(o.ApiVersion);
        Assert.True(o.ExcludeInternalTopics);
        Assert.True(o.AllowAutoCreateTopics);
        Assert.Equal(SecurityProtocol.Plaintext, o.SecurityProtocol);
        o.Validate();
    }

    [Theory]
    [InlineData("fetch.max.wait.ms")]
    [InlineData("fetch_max_wait_ms")]
    public void Java_and_python_names_take_milliseconds(string key)
    {
        var o = ConsumerOptions.FromDictionary(new Dictionary<string, string> { [key] = "250" });
        Assert.Equal(TimeSpan.FromMilliseconds(250), o.FetchMaxWait);
    }

    [Fact]
    public void Property_names_take_timespans_and_every_kind_of_value_parses()
    {
        var o = ConsumerOptions.FromDictionary(new Dictionary<string, string>
        {
            ["BootstrapServers"] = "a:1,b:2",
            ["FetchMaxWait"] = "00:00:01",
            ["group.id"] = "billing",
            ["auto_offset_reset"] = "earliest",
            ["enable.auto.commit"] = "false",
            ["isolation.level"] = "read_committed",
            ["partition.assignment.strategy"] = "org.apache.kafka.clients.consumer.CooperativeStickyAssignor, roundrobin",
            ["api_version"] = "(2, 8, 0)",
            ["topics"] = "a, b",
            ["security.protocol"] = "SASL_SSL",
            ["sasl.mechanism"] = "SCRAM-SHA-512",
            ["sasl_plain_username"] = "u",
            ["sasl_plain_password"] = "p",
            ["consumer_timeout_ms"] = "inf",
        });
        Assert.Equal("a:1,b:2", o.BootstrapServers);
        Assert.Equal(TimeSpan.FromSeconds(1), o.FetchMaxWait);
        Assert.Equal("billing", o.GroupId);
        Assert.Equal(AutoOffsetReset.Earliest, o.AutoOffsetReset);
        Assert.False(o.EnableAutoCommit);
        Assert.Equal(IsolationLevel.ReadCommitted, o.IsolationLevel);
        Assert.Equal([PartitionAssignmentStrategy.CooperativeSticky, PartitionAssignmentStrategy.RoundRobin], o.PartitionAssignmentStrategy);
        Assert.Equal(new Version(2, 8, 0), o.ApiVersion);
        Assert.Equal(["a", "b"], o.Topics);
        Assert.Equal(SecurityProtocol.SaslSsl, o.SecurityProtocol);
        Assert.Equal(SaslMechanism.ScramSha512, o.SaslMechanism);
        Assert.Null(o.ConsumerTimeout);
    }

    [Theory]
    [InlineData("no.such.setting", "1", "no.such.setting")]
    [InlineData("fetch.min.bytes", "lots", "fetch.min.bytes")]
    [InlineData("fetch_max_wait_ms", "-5", "fetch_max_wait_ms")]
    [InlineData("auto.offset.reset", "smallest-ish", "auto.offset.reset")]
    [InlineData("check_crcs", "maybe", "check_crcs")]
    [InlineData("partition.assignment.strategy", "fair", "partition.assignment.strategy")]
    [InlineData("api_version", "two", "api_version")]
    [InlineData("max.poll.records", "0", "MaxPollRecords")]
    [InlineData("bootstrap.servers", "host:99999", "BootstrapServers")]
    public void Bad_keys_and_values_name_the_setting(string key, string value, string named)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => ConsumerOptions.FromDictionary(new Dictionary<string, string> { [key] = value }));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_between_settings_are_checked()
    {
        Assert.Equal("HeartbeatInterval", Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { HeartbeatInterval = TimeSpan.FromSeconds(10) }.Validate()).ParamName);
        Assert.Equal("RequestTimeout", Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { RequestTimeout = TimeSpan.FromMilliseconds(400) }.Validate()).ParamName);
        Assert.Equal("ReconnectBackoffMax", Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { ReconnectBackoff = TimeSpan.FromSeconds(5) }.Validate()).ParamName);
        Assert.Equal("SaslMechanism", Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { SecurityProtocol = SecurityProtocol.SaslPlaintext }.Validate()).ParamName);
        Assert.Equal("GroupId", Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { GroupId = " " }.Validate()).ParamName);
        Assert.Equal("SslCaFile", Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { SslCaFile = "/nonexistent/ca.pem" }.Validate()).ParamName);
        Assert.Equal("PartitionAssignmentStrategy", Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { PartitionAssignmentStrategy = [] }.Validate()).ParamName);
        Assert.Equal("AutoOffsetReset", Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { AutoOffsetReset = (AutoOffsetReset)7 }.Validate()).ParamName);
    }

    [Theory]
    [InlineData("localhost", "localhost", 9092)]
    [InlineData("PLAINTEXT://kafka-1:19092", "kafka-1", 19092)]
    [InlineData("[::1]:9093", "::1", 9093)]
    public void Bootstrap_entries_parse_to_host_and_port(string text, string host, int port)
    {
        Assert.Equal((host, port), Assert.Single(ConsumerOptions.ParseBootstrapServers(text)));
    }

    [Fact]
    public void Clone_copies_lists()
    {
        var o = new ConsumerOptions { Topics = ["a"] };
        var copy = o.Clone();
        copy.Topics.Add("b");
        Assert.Single(o.Topics);
    }
}
