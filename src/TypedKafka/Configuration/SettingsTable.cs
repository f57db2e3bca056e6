using System.Globalization;

namespace TypedKafka;

/// <summary>The connection, metadata and security settings that <see cref="ConsumerOptions"/> and
/// <see cref="ProducerOptions"/> share: the same names, types and Java / kafka-python spellings, registered once by
/// <see cref="SettingsTable{T}"/> for both.</summary>
internal interface IConnectionSettings
{
    string BootstrapServers { get; set; }
    TimeSpan RequestTimeout { get; set; }
    TimeSpan RetryBackoff { get; set; }
    TimeSpan ReconnectBackoff { get; set; }
    TimeSpan ReconnectBackoffMax { get; set; }
    int MaxInFlightRequestsPerConnection { get; set; }
    TimeSpan MetadataMaxAge { get; set; }
    TimeSpan ConnectionsMaxIdle { get; set; }
    Version? ApiVersion { get; set; }
    TimeSpan ApiVersionAutoTimeout { get; set; }
    TimeSpan ConnectionSetupTimeout { get; set; }
    bool AllowAutoCreateTopics { get; set; }
    int? ReceiveBufferBytes { get; set; }
    int? SendBufferBytes { get; set; }
    SecurityProtocol SecurityProtocol { get; set; }
    SaslMechanism? SaslMechanism { get; set; }
    string? SaslUsername { get; set; }
    string? SaslPassword { get; set; }
    string? SslCaFile { get; set; }
    string? SslCertFile { get; set; }
    string? SslKeyFile { get; set; }
    string? SslPassword { get; set; }
    bool SslCheckHostname { get; set; }
}

/// <summary>
/// String settings → an options object (no reflection, AOT-safe). Each setting is known by its property name, its Java
/// name and its kafka-python name; durations are a <see cref="TimeSpan"/> under the property name and milliseconds under
/// the other two. Every error is an <see cref="ArgumentException"/> naming the key and the value.
/// </summary>
internal sealed class SettingsTable<T> where T : IConnectionSettings
{
    public delegate void Apply(T options, string value, string key);

    private readonly Dictionary<string, Apply> _map = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _kind;

    /// <param name="kind">"Consumer" or "Producer", as error messages say it.</param>
    public SettingsTable(string kind)
    {
        _kind = kind;
        RegisterConnectionSettings();
    }

    /// <summary>Sets the options named in <paramref name="settings"/>, leaving the others unchanged; does not validate.</summary>
    public void ApplyTo(T options, IEnumerable<KeyValuePair<string, string>> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var (key, value) in settings)
        {
            if (!_map.TryGetValue(key.Trim(), out var apply))
                throw new ArgumentException($"Unknown {_kind.ToLowerInvariant()} setting '{key}'.", nameof(settings));
            if (value is null)
                throw new ArgumentException($"{_kind} setting '{key}' has no value.", nameof(settings));
            apply(options, value.Trim(), key);
        }
    }

    public void Register(Apply apply, params string[] names)
    {
        foreach (var name in names) _map[name] = apply;
    }

    /// <summary>Text; an empty value sets null.</summary>
    public void Text(string property, string java, string python, Action<T, string?> set) =>
        Register((o, v, _) => set(o, v.Length == 0 ? null : v), property, java, python);

    public void Int(string property, string java, string python, Action<T, int> set) =>
        Register((o, v, k) => set(o, ParseInt(v, k)), property, java, python);

    public void Bool(string property, string java, string python, Action<T, bool> set) =>
        Register((o, v, k) => set(o, ParseBool(v, k)), property, java, python);

    public void Duration(string property, string java, string python, Action<T, TimeSpan> set)
    {
        Register((o, v, k) => set(o, ParseTimeSpan(v, k)), property);
        Register((o, v, k) => set(o, TimeSpan.FromMilliseconds(ParseLong(v, k))), java, python);
    }

    private void RegisterConnectionSettings()
    {
        Text("BootstrapServers", "bootstrap.servers", "bootstrap_servers", (o, v) => o.BootstrapServers = v ?? string.Empty);
        Duration("RequestTimeout", "request.timeout.ms", "request_timeout_ms", (o, v) => o.RequestTimeout = v);
        Duration("RetryBackoff", "retry.backoff.ms", "retry_backoff_ms", (o, v) => o.RetryBackoff = v);
        Duration("ReconnectBackoff", "reconnect.backoff.ms", "reconnect_backoff_ms", (o, v) => o.ReconnectBackoff = v);
        Duration("ReconnectBackoffMax", "reconnect.backoff.max.ms", "reconnect_backoff_max_ms", (o, v) => o.ReconnectBackoffMax = v);
        Int("MaxInFlightRequestsPerConnection", "max.in.flight.requests.per.connection", "max_in_flight_requests_per_connection", (o, v) => o.MaxInFlightRequestsPerConnection = v);
        Duration("MetadataMaxAge", "metadata.max.age.ms", "metadata_max_age_ms", (o, v) => o.MetadataMaxAge = v);
        Duration("ConnectionsMaxIdle", "connections.max.idle.ms", "connections_max_idle_ms", (o, v) => o.ConnectionsMaxIdle = v);
        Register((o, v, k) => o.ApiVersion = ParseApiVersion(v, k), "ApiVersion", "api.version", "api_version");
        Duration("ApiVersionAutoTimeout", "api.version.auto.timeout.ms", "api_version_auto_timeout_ms", (o, v) => o.ApiVersionAutoTimeout = v);
        Duration("ConnectionSetupTimeout", "socket.connection.setup.timeout.ms", "socket_connection_setup_timeout_ms", (o, v) => o.ConnectionSetupTimeout = v);
        Bool("AllowAutoCreateTopics", "allow.auto.create.topics", "allow_auto_create_topics", (o, v) => o.AllowAutoCreateTopics = v);
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
        Register((o, v, _) => o.SslCheckHostname = v.Length != 0 && !v.Equals("none", StringComparison.OrdinalIgnoreCase), "ssl.endpoint.identification.algorithm");
    }

    public int ParseInt(string value, string key) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw Bad(key, value, "a whole number");

    public long ParseLong(string value, string key, string expected = "a non-negative number of milliseconds") =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) && result >= 0
            ? result
            : throw Bad(key, value, expected);

    public bool ParseBool(string value, string key) => value.ToUpperInvariant() switch
    {
        "TRUE" or "1" or "YES" => true,
        "FALSE" or "0" or "NO" => false,
        _ => throw Bad(key, value, "true or false"),
    };

    public TimeSpan ParseTimeSpan(string value, string key) =>
        TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw Bad(key, value, "a duration such as 00:00:05");

    public TEnum ParseEnum<TEnum>(string value, string key) where TEnum : struct, Enum =>
        Enum.TryParse<TEnum>(value, ignoreCase: true, out var result) && Enum.IsDefined(result) && !char.IsDigit(value[0])
            ? result
            : throw Bad(key, value, string.Join(", ", Enum.GetNames<TEnum>()));

    private SecurityProtocol ParseSecurityProtocol(string value, string key) => value.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "PLAINTEXT" => SecurityProtocol.Plaintext,
        "SSL" => SecurityProtocol.Ssl,
        "SASLPLAINTEXT" => SecurityProtocol.SaslPlaintext,
        "SASLSSL" => SecurityProtocol.SaslSsl,
        _ => throw Bad(key, value, "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"),
    };

    private SaslMechanism? ParseSaslMechanism(string value, string key) => value.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "" => null,
        "PLAIN" => TypedKafka.SaslMechanism.Plain,
        "SCRAMSHA256" => TypedKafka.SaslMechanism.ScramSha256,
        "SCRAMSHA512" => TypedKafka.SaslMechanism.ScramSha512,
        "OAUTHBEARER" => TypedKafka.SaslMechanism.OAuthBearer,
        _ => throw Bad(key, value, "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER"),
    };

    /// <summary>A broker version such as 2.8.0, "(2, 8, 0)" (kafka-python's tuple) or [2,8]; empty, none or auto = null.</summary>
    private Version? ParseApiVersion(string value, string key)
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

    public ArgumentException Bad(string key, string value, string expected) =>
        new($"{_kind} setting '{key}' has the value '{value}', which is not {expected}.", key);
}
