using System.Globalization;

namespace TypedKafka.Groups;

/// <summary>
/// The group-specific checks of <see cref="ConsumerOptions"/> that <see cref="ConsumerOptions.Validate"/> does not make:
/// settings that only mean something for one <see cref="GroupProtocol"/>. With <see cref="GroupProtocol.Consumer"/>
/// (KIP-848) the broker assigns partitions and owns the session and heartbeat timing, so the classic protocol's
/// assignor list, session timeout and heartbeat interval are refused rather than silently ignored.
/// </summary>
/// <remarks>Options are plain properties, so "set" means "different from the default"; the defaults are accepted
/// with either protocol.</remarks>
internal static class GroupOptionsValidation
{
    private static readonly PartitionAssignmentStrategy[] DefaultStrategies = [PartitionAssignmentStrategy.Range, PartitionAssignmentStrategy.RoundRobin];
    private static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromMilliseconds(10_000);
    private static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromMilliseconds(3000);

    /// <summary>Throws when a setting does not apply to the configured <see cref="ConsumerOptions.GroupProtocol"/>.</summary>
    /// <exception cref="ArgumentException">Names the setting and says why (<see cref="ArgumentException.ParamName"/> is its name).</exception>
    public static void Validate(ConsumerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.GroupProtocol != GroupProtocol.Consumer) return;

        var strategies = options.PartitionAssignmentStrategy ?? [];
        if (!strategies.SequenceEqual(DefaultStrategies))
        {
            throw Refused(nameof(ConsumerOptions.PartitionAssignmentStrategy), string.Join(",", strategies),
                "is a classic-protocol setting: with GroupProtocol.Consumer (KIP-848) the broker assigns partitions with its own " +
                "assignor (group.consumer.assignors on the broker). Leave PartitionAssignmentStrategy at its default or use GroupProtocol.Classic");
        }
        if (options.SessionTimeout != DefaultSessionTimeout)
        {
            throw Refused(nameof(ConsumerOptions.SessionTimeout), options.SessionTimeout,
                "is a classic-protocol setting: with GroupProtocol.Consumer (KIP-848) the session timeout is the broker's " +
                "group.consumer.session.timeout.ms. Leave SessionTimeout at its default or use GroupProtocol.Classic");
        }
        if (options.HeartbeatInterval != DefaultHeartbeatInterval)
        {
            throw Refused(nameof(ConsumerOptions.HeartbeatInterval), options.HeartbeatInterval,
                "is a classic-protocol setting: with GroupProtocol.Consumer (KIP-848) the broker tells the member how often to " +
                "heartbeat (group.consumer.heartbeat.interval.ms). Leave HeartbeatInterval at its default or use GroupProtocol.Classic");
        }
    }

    private static ArgumentException Refused(string name, object value, string rule) =>
        new($"ConsumerOptions.{name} ({Convert.ToString(value, CultureInfo.InvariantCulture)}) {rule}.", name);
}
