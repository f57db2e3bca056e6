using System.Globalization;

namespace TypedKafka;

public sealed partial class ProducerOptions
{
    private delegate void Apply(ProducerOptions options, string value, string key);

    private static readonly Dictionary<string, Apply> Settings = BuildSettings();

    /// <summary>
    /// Builds options from string settings, accepting for each setting its property name (<c>Linger</c>, a
    /// <see cref="TimeSpan"/> for durations), its Java name (<c>linger.ms</c>, milliseconds) or its kafka-python name
    /// (<c>linger_ms</c>, milliseconds). The result is validated.
    /// </summary>
    /// <exception cref="ArgumentException">A key is unknown, or a value cannot be parsed or is out of range; the message names the key.</exception>
    public static ProducerOptions FromDictionary(IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new ProducerOptions();
        options.ApplySettings(settings);
        options.Validate();
        return options;
    }

    /// <summary>Sets the options named in <paramref name="settings"/> (names and formats as <see cref="FromDictionary"/>),
    /// leaving the others unchanged; does not validate.</summary>
    /// <exception cref="ArgumentException">A key is unknown or a value cannot be parsed; the message names the key.</exception>
    public void ApplySettings(IEnumerable<KeyValuePair<string, string>> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var (key, value) in settings)
        {
            if (!Settings.TryGetValue(key.Trim(), out var apply))
                throw new ArgumentException($"Unknown producer setting '{key}'.", nameof(settings));
            if (value is null)
                throw new ArgumentException($"Producer setting '{key}' has no value.", nameof(settings));
            apply(this, value.Trim(), key);
        }
    }

    private static Dictionary<string, Apply> BuildSettings()
    {
        var map = new Dictionary<string, Apply>(StringComparer.OrdinalIgnoreCase);

        void Register(Apply apply, params string[] names)
        {
            foreach (var name in names) map[name] = apply;
        }

        void Text(string property, string java, string python, Action<ProducerOptions, string?> set) =>
            Register((o, v, _) => set(o, v.Length == 0 ? null : v), property, java, python);

        void Int(string property, string java, string python, Action<ProducerOptions, int> set) =>
            Register((o, v, k) => set(o, ParseInt(v, k)), property, java, python);

        void Bool(string property, string java, string python, Action<ProducerOptions, bool> set) =>
            Register((o, v, k) => set(o, ParseBool(v, k)), property, java, python);

        void Duration(string property, string java, string python, Action<ProducerOptions, TimeSpan> set)
        {
            map[property] = (o, v, k) => set(o, ParseTimeSpan(v, k));
            Apply ms = (o, v, k) => set(o, TimeSpan.FromMilliseconds(ParseLong(v, k)));
            map[java] = ms;
            map[python] = ms;
        }

        Text("BootstrapServers", "bootstrap.servers", "bootstrap_servers", (o, v) => o.BootstrapServers = v ?? string.Empty);
        Text("ClientId", "client.id", "client_id", (o, v) => o.ClientId = v);
        Register((o, v, k) => o.Acks = ParseAcks(v, k), "Acks", "acks");
        Bool("EnableIdempotence", "enable.idempotence", "enable_idempotence", (o, v) => o.EnableIdempotence = v);
        Duration("Linger", "linger.ms", "linger_ms", (o, v) => o.Linger = v);
        Int("BatchSize", "batch.size", "batch_size", (o, v) => o.BatchSize = v);
        Register((o, v, k) => o.CompressionType = ParseCompression(v, k), "CompressionType", "compression.type", "compression_type");
        Int("MaxInFlightRequestsPerConnection", "max.in.flight.requests.per.connection", "max_in_flight_requests_per_connection", (o, v) => o.MaxInFlightRequestsPerConnection = v);
        Duration("DeliveryTimeout", "delivery.timeout.ms", "delivery_timeout_ms", (o, v) => o.DeliveryTimeout = v);
        Duration("RequestTimeout", "request.timeout.ms", "request_timeout_ms", (o, v) => o.RequestTimeout = v);
        Int("Retries", "retries", "retries", (o, v) => o.Retries = v);
        Duration("RetryBackoff", "retry.backoff.ms", "retry_backoff_ms", (o, v) => o.RetryBackoff = v);
        Duration("RetryBackoffMax", "retry.backoff.max.ms", "retry_backoff_max_ms", (o, v) => o.RetryBackoffMax = v);
        Int("MaxRequestSize", "max.request.size", "max_request_size", (o, v) => o.MaxRequestSize = v);
        Duration("MaxBlock", "max.block.ms", "max_block_ms", (o, v) => o.MaxBlock = v);
        Register((o, v, k) => o.BufferMemory = ParseLong(v, k), "BufferMemory", "buffer.memory", "buffer_memory");
        Duration("MetadataMaxAge", "metadata.max.age.ms", "metadata_max_age_ms", (o, v) => o.MetadataMaxAge = v);
        Bool("AllowAutoCreateTopics", "allow.auto.create.topics", "allow_auto_create_topics", (o, v) => o.AllowAutoCreateTopics = v);
        Duration("ReconnectBackoff", "reconnect.backoff.ms", "reconnect_backoff_ms", (o, v) => o.ReconnectBackoff = v);
        Duration("ReconnectBackoffMax", "reconnect.backoff.max.ms", "reconnect_backoff_max_ms", (o, v) => o.ReconnectBackoffMax = v);
        Duration("ConnectionsMaxIdle", "connections.max.idle.ms", "connections_max_idle_ms", (o, v) => o.ConnectionsMaxIdle = v);
        Duration("ConnectionSetupTimeout", "socket.connection.setup.timeout.ms", "socket_connection_setup_timeout_ms", (o, v) => o.ConnectionSetupTimeout = v);
        Duration("ApiVersionAutoTimeout", "api.version.auto.timeout.ms", "api_version_auto_timeout_ms", (o, v) => o.ApiVersionAutoTimeout = v);
        Register((o, v, k) => o.ApiVersion = ParseApiVersion(v, k), "ApiVersion", "api.version", "api_version");
        Int("ReceiveBufferBytes", "receive.buffer.bytes", "receive_buffer_bytes", (o, v) => o.ReceiveBufferBytes = v < 0 ? null : v);
        Int("SendBufferBytes", "send.buffer.bytes", "send_buffer_bytes", (o, v) => o.SendBufferBytes = v < 0 ? null : v);
        Register((o, v, k) => o.SecurityProtocol = ParseSecurityProtocol(v, k), "SecurityProtocol", "security.protocol", "security_protocol");
        Register((o, v, k) => o.SaslMechanism = ParseSaslMechanism(v, k), "SaslMechanism", "sasl.mechanism", "sasl_mechanism");
        Text("SaslUsername", "sasl.username", "sasl_plain_username", (o, v) => o.SaslUsername = v);
        Text("SaslPassword", "sasl.password", "sasl_plain_password", (o, v) => o.SaslPassword = v);
        Text("SslCaFile", "ssl.ca.location", "ssl_cafile", (o, v) => o.SslCaFile = v);
        Text("SslCertFile", "ssl.certificate.location", "ssl_certfile", (o, v) => o.SslCertFile = v);
        Text("SslKeyFile", "ssl.key.location", "ssl_keyfile", (o, v) => o.SslKeyFile = v);
        Text("SslPassword", "ssl.key.password", "ssl_password", (o, v) => o.SslPassword = v);
        Bool("SslCheckHostname", "ssl_check_hostname", "ssl_check_hostname", (o, v) => o.SslCheckHostname = v);
        // The Java client spells hostname checking as an algorithm name: "https" on, "" off.
        map["ssl.endpoint.identification.algorithm"] = (o, v, _) => o.SslCheckHostname = v.Length != 0 && !v.Equals("none", StringComparison.OrdinalIgnoreCase);
        return map;
    }

    private static Acks ParseAcks(string value, string key) => value.ToUpperInvariant() switch
    {
        "ALL" or "-1" => Acks.All,
        "1" or "LEADER" => Acks.Leader,
        "0" or "NONE" => Acks.None,
        _ => throw Bad(key, value, "all, -1, 0 or 1"),
    };

    private static CompressionType ParseCompression(string value, string key) => value.ToUpperInvariant() switch
    {
        "NONE" or "" => CompressionType.None,
        "GZIP" => CompressionType.Gzip,
        "SNAPPY" => CompressionType.Snappy,
        "LZ4" => CompressionType.Lz4,
        "ZSTD" => CompressionType.Zstd,
        _ => throw Bad(key, value, "none, gzip, snappy, lz4 or zstd"),
    };

    private static int ParseInt(string value, string key) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw Bad(key, value, "a whole number");

    private static long ParseLong(string value, string key) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) && result >= 0
            ? result
            : throw Bad(key, value, "a non-negative whole number");

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

    private static Version? ParseApiVersion(string value, string key)
    {
        var text = value.Trim('(', ')', '[', ']', ' ').Replace(" ", "", StringComparison.Ordinal).Replace(',', '.');
        if (text.Length == 0 || text.Equals("none", StringComparison.OrdinalIgnoreCase) || text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        return Version.TryParse(text.Split('.').Length == 1 ? text + ".0" : text, out var version)
            ? version
            : throw Bad(key, value, "a broker version such as 2.8.0");
    }

    private static ArgumentException Bad(string key, string value, string expected) =>
        new($"Producer setting '{key}' has the value '{value}', which is not {expected}.", key);
}
