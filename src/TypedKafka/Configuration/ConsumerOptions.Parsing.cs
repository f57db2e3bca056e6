using System.Globalization;

namespace TypedKafka;

public sealed partial class ConsumerOptions
{
    private delegate void Apply(ConsumerOptions options, string value, string key);

    private static readonly Dictionary<string, Apply> Settings = BuildSettings();

    /// <summary>
    /// Builds options from string settings, accepting for each setting its property name (<c>FetchMaxWait</c>, a
    /// <see cref="TimeSpan"/> for durations), its Java name (<c>fetch.max.wait.ms</c>, milliseconds) or its
    /// kafka-python name (<c>fetch_max_wait_ms</c>, milliseconds). The result is validated.
    /// </summary>
    /// <exception cref="ArgumentException">A key is unknown, or a value cannot be parsed or is out of range; the message names the key.</exception>
    public static ConsumerOptions FromDictionary(IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new ConsumerOptions();
        options.ApplySettings(settings);
        options.Validate();
        return options;
    }

    /// <summary>
    /// Sets the options named in <paramref name="settings"/> (same names and formats as <see cref="FromDictionary"/>) on
    /// this instance, leaving the others unchanged; does not validate. Used to bind configuration without reflection.
    /// </summary>
    /// <exception cref="ArgumentException">A key is unknown or a value cannot be parsed; the message names the key.</exception>
    public void ApplySettings(IEnumerable<KeyValuePair<string, string>> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var (key, value) in settings)
        {
            if (!Settings.TryGetValue(key.Trim(), out var apply))
                throw new ArgumentException($"Unknown consumer setting '{key}'.", nameof(settings));
            if (value is null)
                throw new ArgumentException($"Consumer setting '{key}' has no value.", nameof(settings));
            apply(this, value.Trim(), key);
        }
    }

    private static Dictionary<string, Apply> BuildSettings()
    {
        var map = new Dictionary<string, Apply>(StringComparer.OrdinalIgnoreCase);

        void Text(string property, string java, string python, Action<ConsumerOptions, string?> set)
        {
            Apply apply = (o, v, _) => set(o, v.Length == 0 ? null : v);
            Register(map, apply, property, java, python);
        }

        void Int(string property, string java, string python, Action<ConsumerOptions, int> set) =>
            Register(map, (o, v, k) => set(o, ParseInt(v, k)), property, java, python);

        void Bool(string property, string java, string python, Action<ConsumerOptions, bool> set) =>
            Register(map, (o, v, k) => set(o, ParseBool(v, k)), property, java, python);

        void Duration(string property, string java, string python, Action<ConsumerOptions, TimeSpan> set)
        {
            map[property] = (o, v, k) => set(o, ParseTimeSpan(v, k));
            Apply ms = (o, v, k) => set(o, TimeSpan.FromMilliseconds(ParseLong(v, k)));
            map[java] = ms;
            map[python] = ms;
        }

        Text("BootstrapServers", "bootstrap.servers", "bootstrap_servers", (o, v) => o.BootstrapServers = v ?? string.Empty);
        Text("ClientId", "client.id", "client_id", (o, v) => o.ClientId = v ?? string.Empty);
        Text("GroupId", "group.id", "group_id", (o, v) => o.GroupId = v);
        Text("GroupInstanceId", "group.instance.id", "group_instance_id", (o, v) => o.GroupInstanceId = v);
        Text("Topics", "topics", "topics", (o, v) => o.Topics = SplitList(v));
        Int("FetchMinBytes", "fetch.min.bytes", "fetch_min_bytes", (o, v) => o.FetchMinBytes = v);
        Duration("FetchMaxWait", "fetch.max.wait.ms", "fetch_max_wait_ms", (o, v) => o.FetchMaxWait = v);
        Int("FetchMaxBytes", "fetch.max.bytes", "fetch_max_bytes", (o, v) => o.FetchMaxBytes = v);
        Int("MaxPartitionFetchBytes", "max.partition.fetch.bytes", "max_partition_fetch_bytes", (o, v) => o.MaxPartitionFetchBytes = v);
        Duration("RequestTimeout", "request.timeout.ms", "request_timeout_ms", (o, v) => o.RequestTimeout = v);
        Duration("RetryBackoff", "retry.backoff.ms", "retry_backoff_ms", (o, v) => o.RetryBackoff = v);
        Duration("ReconnectBackoff", "reconnect.backoff.ms", "reconnect_backoff_ms", (o, v) => o.ReconnectBackoff = v);
        Duration("ReconnectBackoffMax", "reconnect.backoff.max.ms", "reconnect_backoff_max_ms", (o, v) => o.ReconnectBackoffMax = v);
        Int("MaxInFlightRequestsPerConnection", "max.in.flight.requests.per.connection", "max_in_flight_requests_per_connection", (o, v) => o.MaxInFlightRequestsPerConnection = v);
        Register(map, (o, v, k) => o.AutoOffsetReset = ParseAutoOffsetReset(v, k), "AutoOffsetReset", "auto.offset.reset", "auto_offset_reset");
        Bool("EnableAutoCommit", "enable.auto.commit", "enable_auto_commit", (o, v) => o.EnableAutoCommit = v);
        Duration("AutoCommitInterval", "auto.commit.interval.ms", "auto_commit_interval_ms", (o, v) => o.AutoCommitInterval = v);
        Bool("CheckCrcs", "check.crcs", "check_crcs", (o, v) => o.CheckCrcs = v);
        Register(map, (o, v, k) => o.IsolationLevel = ParseIsolationLevel(v, k), "IsolationLevel", "isolation.level", "isolation_level");
        Duration("MetadataMaxAge", "metadata.max.age.ms", "metadata_max_age_ms", (o, v) => o.MetadataMaxAge = v);
        Register(map, (o, v, k) => o.PartitionAssignmentStrategy = ParseAssignors(v, k), "PartitionAssignmentStrategy", "partition.assignment.strategy", "partition_assignment_strategy");
        Register(map, (o, v, k) => o.GroupProtocol = ParseEnum<GroupProtocol>(v, k), "GroupProtocol", "group.protocol", "group_protocol");
        Int("MaxPollRecords", "max.poll.records", "max_poll_records", (o, v) => o.MaxPollRecords = v);
        Duration("MaxPollInterval", "max.poll.interval.ms", "max_poll_interval_ms", (o, v) => o.MaxPollInterval = v);
        Duration("SessionTimeout", "session.timeout.ms", "session_timeout_ms", (o, v) => o.SessionTimeout = v);
        Duration("HeartbeatInterval", "heartbeat.interval.ms", "heartbeat_interval_ms", (o, v) => o.HeartbeatInterval = v);
        Duration("ConnectionsMaxIdle", "connections.max.idle.ms", "connections_max_idle_ms", (o, v) => o.ConnectionsMaxIdle = v);
        Register(map, (o, v, k) => o.ApiVersion = ParseApiVersion(v, k), "ApiVersion", "api.version", "api_version");
        Duration("ApiVersionAutoTimeout", "api.version.auto.timeout.ms", "api_version_auto_timeout_ms", (o, v) => o.ApiVersionAutoTimeout = v);
        Duration("ConnectionSetupTimeout", "socket.connection.setup.timeout.ms", "socket_connection_setup_timeout_ms", (o, v) => o.ConnectionSetupTimeout = v);
        Bool("ExcludeInternalTopics", "exclude.internal.topics", "exclude_internal_topics", (o, v) => o.ExcludeInternalTopics = v);
        Bool("AllowAutoCreateTopics", "allow.auto.create.topics", "allow_auto_create_topics", (o, v) => o.AllowAutoCreateTopics = v);
        Text("ClientRack", "client.rack", "client_rack", (o, v) => o.ClientRack = v ?? string.Empty);
        Bool("EnableIncrementalFetchSessions", "enable.incremental.fetch.sessions", "enable_incremental_fetch_sessions", (o, v) => o.EnableIncrementalFetchSessions = v);
        Register(map, (o, v, k) => o.ConsumerTimeout = ParseOptionalMs(v, k), "ConsumerTimeout", "consumer.timeout.ms", "consumer_timeout_ms");
        Int("ReceiveBufferBytes", "receive.buffer.bytes", "receive_buffer_bytes", (o, v) => o.ReceiveBufferBytes = v < 0 ? null : v);
        Int("SendBufferBytes", "send.buffer.bytes", "send_buffer_bytes", (o, v) => o.SendBufferBytes = v < 0 ? null : v);
        Register(map, (o, v, k) => o.SecurityProtocol = ParseSecurityProtocol(v, k), "SecurityProtocol", "security.protocol", "security_protocol");
        Register(map, (o, v, k) => o.SaslMechanism = ParseSaslMechanism(v, k), "SaslMechanism", "sasl.mechanism", "sasl_mechanism");
        Text("SaslUsername", "sasl.username", "sasl_plain_username", (o, v) => o.SaslUsername = v);
        Text("SaslPassword", "sasl.password", "sasl_plain_password", (o, v) => o.SaslPassword = v);
        Text("SslCaFile", "ssl.ca.location", "ssl_cafile", (o, v) => o.SslCaFile = v);
        Text("SslCertFile", "ssl.certificate.location", "ssl_certfile", (o, v) => o.SslCertFile = v);
        Text("SslKeyFile", "ssl.key.location", "ssl_keyfile", (o, v) => o.SslKeyFile = v);
        Text("SslPassword", "ssl.key.password", "ssl_password", (o, v) => o.SslPassword = v);
        Bool("SslCheckHostname", "ssl.endpoint.identification.algorithm", "ssl_check_hostname", (o, v) => o.SslCheckHostname = v);
        // The Java client spells hostname checking as an algorithm name: "https" on, "" off.
        map["ssl.endpoint.identification.algorithm"] = (o, v, _) => o.SslCheckHostname = v.Length != 0 && !v.Equals("none", StringComparison.OrdinalIgnoreCase);
        return map;
    }

    private static void Register(Dictionary<string, Apply> map, Apply apply, params string[] names)
    {
        foreach (var name in names) map[name] = apply;
    }

    private static List<string> SplitList(string? value) =>
        value is null ? [] : [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static int ParseInt(string value, string key) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw Bad(key, value, "a whole number");

    private static long ParseLong(string value, string key) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) && result >= 0
            ? result
            : throw Bad(key, value, "a non-negative number of milliseconds");

    private static bool ParseBool(string value, string key) => value.ToUpperInvariant() switch
    {
        "TRUE" or "1" or "YES" => true,
        "FALSE" or "0" or "NO" => false,
        _ => throw Bad(key, value, "true or false"),
    };

    private static TimeSpan ParseTimeSpan(string value, string key) =>
        TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw Bad(key, value, "a duration such as 00:00:05");

    private static TimeSpan? ParseOptionalMs(string value, string key)
    {
        if (value.Length == 0 || value.Equals("inf", StringComparison.OrdinalIgnoreCase) || value == "-1") return null;
        if (key.Equals("ConsumerTimeout", StringComparison.OrdinalIgnoreCase)) return ParseTimeSpan(value, key);
        return TimeSpan.FromMilliseconds(ParseLong(value, key));
    }

    private static AutoOffsetReset ParseAutoOffsetReset(string value, string key) => value.ToUpperInvariant() switch
    {
        "LATEST" or "LARGEST" => AutoOffsetReset.Latest,
        "EARLIEST" or "SMALLEST" => AutoOffsetReset.Earliest,
        "NONE" => AutoOffsetReset.None,
        _ => throw Bad(key, value, "earliest, latest or none"),
    };

    private static IsolationLevel ParseIsolationLevel(string value, string key) => value.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "READUNCOMMITTED" => IsolationLevel.ReadUncommitted,
        "READCOMMITTED" => IsolationLevel.ReadCommitted,
        _ => throw Bad(key, value, "read_uncommitted or read_committed"),
    };

    private static SecurityProtocol ParseSecurityProtocol(string value, string key) => value.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "PLAINTEXT" => SecurityProtocol.Plaintext,
        "SSL" => SecurityProtocol.Ssl,
        "SASLPLAINTEXT" => SecurityProtocol.SaslPlaintext,
        "SASLSSL" => SecurityProtocol.SaslSsl,
        _ => throw Bad(key, value, "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"),
    };

    private static SaslMechanism? ParseSaslMechanism(string value, string key) => value.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "" => null,
        "PLAIN" => TypedKafka.SaslMechanism.Plain,
        "SCRAMSHA256" => TypedKafka.SaslMechanism.ScramSha256,
        "SCRAMSHA512" => TypedKafka.SaslMechanism.ScramSha512,
        "OAUTHBEARER" => TypedKafka.SaslMechanism.OAuthBearer,
        _ => throw Bad(key, value, "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER"),
    };

    private static T ParseEnum<T>(string value, string key) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var result) && Enum.IsDefined(result) && !char.IsDigit(value[0])
            ? result
            : throw Bad(key, value, string.Join(", ", Enum.GetNames<T>()));

    private static List<PartitionAssignmentStrategy> ParseAssignors(string value, string key)
    {
        var result = new List<PartitionAssignmentStrategy>();
        foreach (var raw in SplitList(value))
        {
            // Accept protocol names (range), Java class names (org.apache...RangeAssignor) and kafka-python's
            // class names (RangePartitionAssignor).
            var name = raw[(raw.LastIndexOf('.') + 1)..].ToUpperInvariant()
                .Replace("PARTITIONASSIGNOR", "", StringComparison.Ordinal)
                .Replace("ASSIGNOR", "", StringComparison.Ordinal)
                .Replace("-", "", StringComparison.Ordinal);
            result.Add(name switch
            {
                "RANGE" => TypedKafka.PartitionAssignmentStrategy.Range,
                "ROUNDROBIN" => TypedKafka.PartitionAssignmentStrategy.RoundRobin,
                "STICKY" => TypedKafka.PartitionAssignmentStrategy.Sticky,
                "COOPERATIVESTICKY" => TypedKafka.PartitionAssignmentStrategy.CooperativeSticky,
                _ => throw Bad(key, raw, "range, roundrobin, sticky or cooperative-sticky"),
            });
        }
        return result;
    }

    private static Version? ParseApiVersion(string value, string key)
    {
        var text = value.Trim('(', ')', '[', ']', ' ').Replace(" ", "", StringComparison.Ordinal).Replace(',', '.');
        if (text.Length == 0 || text.Equals("none", StringComparison.OrdinalIgnoreCase) || text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        var parts = text.Split('.');
        if (parts.Length is < 2 or > 4) throw Bad(key, value, "a broker version such as 2.8.0");
        var numbers = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
                throw Bad(key, value, "a broker version such as 2.8.0");
        }
        return numbers.Length switch
        {
            2 => new Version(numbers[0], numbers[1]),
            3 => new Version(numbers[0], numbers[1], numbers[2]),
            _ => new Version(numbers[0], numbers[1], numbers[2], numbers[3]),
        };
    }

    private static ArgumentException Bad(string key, string value, string expected) =>
        new($"Consumer setting '{key}' has the value '{value}', which is not {expected}.", key);
}
