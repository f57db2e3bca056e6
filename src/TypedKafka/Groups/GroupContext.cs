using Microsoft.Extensions.Logging;
using TypedKafka.Metadata;
using TypedKafka.Offsets;

namespace TypedKafka.Groups;

/// <summary>What the <see cref="GroupCoordinator"/> and its membership protocol share: settings, the group's lock,
/// the coordinator channel and the commit loop. Built once by the coordinator.</summary>
internal sealed class GroupContext
{
    public required ConsumerOptions Options { get; init; }

    public required MetadataManager Metadata { get; init; }

    public required ILogger Log { get; init; }

    public required string GroupId { get; init; }

    public required string? InstanceId { get; init; }

    public required CoordinatorChannel Channel { get; init; }

    public required OffsetCommitter Committer { get; init; }

    /// <summary>Guards the membership state shared by the caller, the heartbeat loop and the commit loop; never held
    /// across an await or a call into the member or the listener.</summary>
    public required object Gate { get; init; }

    /// <summary>Cancelled when the coordinator shuts down.</summary>
    public required CancellationToken Closing { get; init; }

    /// <summary>How long a rebalance may take: <see cref="ConsumerOptions.MaxPollInterval"/>, as in the Java client.</summary>
    public TimeSpan RebalanceTimeout => Options.MaxPollInterval;

    public TimeSpan RetryBackoff => Options.RetryBackoff > TimeSpan.Zero ? Options.RetryBackoff : TimeSpan.FromMilliseconds(1);
}
