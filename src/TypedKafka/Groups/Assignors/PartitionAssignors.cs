namespace TypedKafka.Groups.Assignors;

/// <summary>Creates the built-in assignors and derives a member's rebalance protocol from its configured assignors.</summary>
internal static class PartitionAssignors
{
    /// <summary>The assignor for <paramref name="strategy"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="strategy"/> is not a defined value.</exception>
    public static IPartitionAssignor Create(PartitionAssignmentStrategy strategy) => strategy switch
    {
        PartitionAssignmentStrategy.Range => new RangeAssignor(),
        PartitionAssignmentStrategy.RoundRobin => new RoundRobinAssignor(),
        PartitionAssignmentStrategy.Sticky => new StickyAssignor(),
        PartitionAssignmentStrategy.CooperativeSticky => new CooperativeStickyAssignor(),
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown partition assignment strategy."),
    };

    /// <summary>
    /// The rebalance protocol a member with these assignors follows: <see cref="RebalanceProtocol.Cooperative"/> only
    /// when every one of them supports it (the broker may pick any of them for the group), otherwise
    /// <see cref="RebalanceProtocol.Eager"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="assignors"/> is empty.</exception>
    public static RebalanceProtocol CommonRebalanceProtocol(IEnumerable<IPartitionAssignor> assignors)
    {
        ArgumentNullException.ThrowIfNull(assignors);
        bool any = false;
        bool allCooperative = true;
        foreach (var assignor in assignors)
        {
            any = true;
            allCooperative &= assignor.SupportsCooperative;
        }
        if (!any) throw new ArgumentException("At least one partition assignor is required.", nameof(assignors));
        return allCooperative ? RebalanceProtocol.Cooperative : RebalanceProtocol.Eager;
    }
}
