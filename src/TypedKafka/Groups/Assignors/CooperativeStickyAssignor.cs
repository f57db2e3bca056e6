namespace TypedKafka.Groups.Assignors;

/// <summary>
/// <c>cooperative-sticky</c> (KIP-429): the <c>sticky</c> assignment computed from the owned partitions of the
/// members' subscriptions, adjusted for incremental cooperative rebalancing.
/// </summary>
/// <remarks>
/// <para>Members keep their partitions while the group rebalances, so a partition that changes owner must not be
/// handed to its new owner while another member may still be reading it: such a partition is left out of every
/// assignment in this round. Its old owner sees it missing, revokes it and rejoins, and the follow-up rebalance
/// assigns it, now unowned, to its new owner. Partitions that nobody owned are assigned at once.</para>
/// <para>The generation of a member's claims comes from its subscription (v2+), else from the user data older
/// Java members send (a bare INT32 generation, which this assignor also sends for leaders that read only v1).</para>
/// <para>The assignor also works under the eager protocol (when some member of the group does not support
/// cooperative rebalancing): members then own nothing while joining and no partition is held back.</para>
/// </remarks>
internal sealed class CooperativeStickyAssignor : IPartitionAssignor
{
    /// <inheritdoc/>
    public string Name => "cooperative-sticky";

    /// <inheritdoc/>
    public bool SupportsCooperative => true;

    /// <inheritdoc/>
    /// <remarks>The generation alone (4 bytes), as the Java client sends it; the partitions travel as the
    /// subscription's owned partitions.</remarks>
    public ReadOnlyMemory<byte>? SubscriptionUserData(IReadOnlyCollection<TopicPartition>? lastAssignment, int generationId) =>
        StickyUserData.EncodeGeneration(generationId);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> members)
    {
        AssignorSupport.Validate(partitionsPerTopic, members);
        var input = new Dictionary<string, StickyMember>(members.Count, StringComparer.Ordinal);
        var ownedAnywhere = new HashSet<TopicPartition>();
        foreach (var (memberId, subscription) in members)
        {
            int generation = subscription.GenerationId >= 0
                ? subscription.GenerationId
                : StickyUserData.DecodeGeneration(subscription.UserData);
            input.Add(memberId, new StickyMember(subscription.Topics, subscription.OwnedPartitions, generation));
            ownedAnywhere.UnionWith(subscription.OwnedPartitions);
        }

        var assignment = StickyAssignmentBuilder.Build(partitionsPerTopic, input);

        // A partition assigned to a member that does not own it, while another member does, changes owner: hold it
        // back until the owner has revoked it.
        foreach (var (memberId, partitions) in assignment)
        {
            var ownedHere = new HashSet<TopicPartition>(members[memberId].OwnedPartitions);
            partitions.RemoveAll(tp => ownedAnywhere.Contains(tp) && !ownedHere.Contains(tp));
        }
        return AssignorSupport.Seal(assignment);
    }
}
