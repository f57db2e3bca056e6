namespace TypedKafka;

public sealed partial class ProducerOptions : IConnectionSettings
{
    private static readonly SettingsTable<ProducerOptions> Settings = BuildSettings();

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
    public void ApplySettings(IEnumerable<KeyValuePair<string, string>> settings) => Settings.ApplyTo(this, settings);

    /// <summary>The producer's own settings; the connection and security ones come from <see cref="SettingsTable{T}"/>.</summary>
    private static SettingsTable<ProducerOptions> BuildSettings()
    {
        var t = new SettingsTable<ProducerOptions>("Producer");
        t.Text("ClientId", "client.id", "client_id", (o, v) => o.ClientId = v);
        t.Register((o, v, k) => o.Acks = ParseAcks(t, v, k), "Acks", "acks");
        t.Bool("EnableIdempotence", "enable.idempotence", "enable_idempotence", (o, v) => o.EnableIdempotence = v);
        t.Duration("Linger", "linger.ms", "linger_ms", (o, v) => o.Linger = v);
        t.Int("BatchSize", "batch.size", "batch_size", (o, v) => o.BatchSize = v);
        t.Register((o, v, k) => o.CompressionType = ParseCompression(t, v, k), "CompressionType", "compression.type", "compression_type");
        t.Duration("DeliveryTimeout", "delivery.timeout.ms", "delivery_timeout_ms", (o, v) => o.DeliveryTimeout = v);
        t.Int("Retries", "retries", "retries", (o, v) => o.Retries = v);
        t.Duration("RetryBackoffMax", "retry.backoff.max.ms", "retry_backoff_max_ms", (o, v) => o.RetryBackoffMax = v);
        t.Int("MaxRequestSize", "max.request.size", "max_request_size", (o, v) => o.MaxRequestSize = v);
        t.Duration("MaxBlock", "max.block.ms", "max_block_ms", (o, v) => o.MaxBlock = v);
        t.Register((o, v, k) => o.BufferMemory = t.ParseLong(v, k, "a non-negative whole number"), "BufferMemory", "buffer.memory", "buffer_memory");
        return t;
    }

    private static Acks ParseAcks(SettingsTable<ProducerOptions> t, string value, string key) => value.ToUpperInvariant() switch
    {
        "ALL" or "-1" => Acks.All,
        "1" or "LEADER" => Acks.Leader,
        "0" or "NONE" => Acks.None,
        _ => throw t.Bad(key, value, "all, -1, 0 or 1"),
    };

    private static CompressionType ParseCompression(SettingsTable<ProducerOptions> t, string value, string key) => value.ToUpperInvariant() switch
    {
        "NONE" or "" => CompressionType.None,
        "GZIP" => CompressionType.Gzip,
        "SNAPPY" => CompressionType.Snappy,
        "LZ4" => CompressionType.Lz4,
        "ZSTD" => CompressionType.Zstd,
        _ => throw t.Bad(key, value, "none, gzip, snappy, lz4 or zstd"),
    };
}
