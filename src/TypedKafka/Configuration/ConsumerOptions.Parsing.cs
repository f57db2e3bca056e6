namespace TypedKafka;

public sealed partial class ConsumerOptions : IConnectionSettings
{
    private static readonly SettingsTable<ConsumerOptions> Settings = BuildSettings();

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
    public void ApplySettings(IEnumerable<KeyValuePair<string, string>> settings) => Settings.ApplyTo(this, settings);

    /// <summary>The consumer's own settings; the connection and security ones come from <see cref="SettingsTable{T}"/>.</summary>
    private static SettingsTable<ConsumerOptions> BuildSettings()
    {
        var t = new SettingsTable<ConsumerOptions>("Consumer");
        t.Text("ClientId", "client.id", "client_id", (o, v) => o.ClientId = v ?? string.Empty);
        t.Text("GroupId", "group.id", "group_id", (o, v) => o.GroupId = v);
        t.Text("GroupInstanceId", "group.instance.id", "group_instance_id", (o, v) => o.GroupInstanceId = v);
        t.Text("Topics", "topics", "topics", (o, v) => o.Topics = SplitList(v));
        t.Int("FetchMinBytes", "fetch.min.bytes", "fetch_min_bytes", (o, v) => o.FetchMinBytes = v);
        t.Duration("FetchMaxWait", "fetch.max.wait.ms", "fetch_max_wait_ms", (o, v) => o.FetchMaxWait = v);
        t.Int("FetchMaxBytes", "fetch.max.bytes", "fetch_max_bytes", (o, v) => o.FetchMaxBytes = v);
        t.Int("MaxPartitionFetchBytes", "max.partition.fetch.bytes", "max_partition_fetch_bytes", (o, v) => o.MaxPartitionFetchBytes = v);
        t.Register((o, v, k) => o.AutoOffsetReset = ParseAutoOffsetReset(t, v, k), "AutoOffsetReset", "auto.offset.reset", "auto_offset_reset");
        t.Bool("EnableAutoCommit", "enable.auto.commit", "enable_auto_commit", (o, v) => o.EnableAutoCommit = v);
        t.Duration("AutoCommitInterval", "auto.commit.interval.ms", "auto_commit_interval_ms", (o, v) => o.AutoCommitInterval = v);
        t.Bool("CheckCrcs", "check.crcs", "check_crcs", (o, v) => o.CheckCrcs = v);
        t.Register((o, v, k) => o.IsolationLevel = ParseIsolationLevel(t, v, k), "IsolationLevel", "isolation.level", "isolation_level");
        t.Register((o, v, k) => o.PartitionAssignmentStrategy = ParseAssignors(t, v, k), "PartitionAssignmentStrategy", "partition.assignment.strategy", "partition_assignment_strategy");
        t.Register((o, v, k) => o.GroupProtocol = t.ParseEnum<GroupProtocol>(v, k), "GroupProtocol", "group.protocol", "group_protocol");
        t.Int("MaxPollRecords", "max.poll.records", "max_poll_records", (o, v) => o.MaxPollRecords = v);
        t.Duration("MaxPollInterval", "max.poll.interval.ms", "max_poll_interval_ms", (o, v) => o.MaxPollInterval = v);
        t.Duration("SessionTimeout", "session.timeout.ms", "session_timeout_ms", (o, v) => o.SessionTimeout = v);
        t.Duration("HeartbeatInterval", "heartbeat.interval.ms", "heartbeat_interval_ms", (o, v) => o.HeartbeatInterval = v);
        t.Bool("ExcludeInternalTopics", "exclude.internal.topics", "exclude_internal_topics", (o, v) => o.ExcludeInternalTopics = v);
        t.Text("ClientRack", "client.rack", "client_rack", (o, v) => o.ClientRack = v ?? string.Empty);
        t.Bool("EnableIncrementalFetchSessions", "enable.incremental.fetch.sessions", "enable_incremental_fetch_sessions", (o, v) => o.EnableIncrementalFetchSessions = v);
        t.Register((o, v, k) => o.ConsumerTimeout = ParseOptionalMs(t, v, k), "ConsumerTimeout", "consumer.timeout.ms", "consumer_timeout_ms");
        return t;
    }

    private static List<string> SplitList(string? value) =>
        value is null ? [] : [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static TimeSpan? ParseOptionalMs(SettingsTable<ConsumerOptions> t, string value, string key)
    {
        if (value.Length == 0 || value.Equals("inf", StringComparison.OrdinalIgnoreCase) || value == "-1") return null;
        if (key.Equals("ConsumerTimeout", StringComparison.OrdinalIgnoreCase)) return t.ParseTimeSpan(value, key);
        return TimeSpan.FromMilliseconds(t.ParseLong(value, key));
    }

    private static AutoOffsetReset ParseAutoOffsetReset(SettingsTable<ConsumerOptions> t, string value, string key) => value.ToUpperInvariant() switch
    {
        "LATEST" or "LARGEST" => AutoOffsetReset.Latest,
        "EARLIEST" or "SMALLEST" => AutoOffsetReset.Earliest,
        "NONE" => AutoOffsetReset.None,
        _ => throw t.Bad(key, value, "earliest, latest or none"),
    };

    private static IsolationLevel ParseIsolationLevel(SettingsTable<ConsumerOptions> t, string value, string key) => value.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "READUNCOMMITTED" => IsolationLevel.ReadUncommitted,
        "READCOMMITTED" => IsolationLevel.ReadCommitted,
        _ => throw t.Bad(key, value, "read_uncommitted or read_committed"),
    };

    private static List<PartitionAssignmentStrategy> ParseAssignors(SettingsTable<ConsumerOptions> t, string value, string key)
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
                _ => throw t.Bad(key, raw, "range, roundrobin, sticky or cooperative-sticky"),
            });
        }
        return result;
    }

}
