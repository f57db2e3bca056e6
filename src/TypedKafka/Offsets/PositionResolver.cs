using Microsoft.Extensions.Logging;
using TypedKafka.Consumer;
using TypedKafka.Fetching;
using static TypedKafka.Consumer.BackgroundTasks;

namespace TypedKafka.Offsets;

/// <summary>
/// Position resolution: a partition with no position gets the group's committed offset (when the consumer has a
/// group), else the <see cref="ConsumerOptions.AutoOffsetReset"/> offset (ListOffsets through <see cref="OffsetLookup"/>).
/// Planned by the fetcher's loop (<see cref="StartLookups"/>), run as tasks, applied under
/// <see cref="SubscriptionState.Gate"/> only when no seek, reset or revocation superseded them (issue 16).
/// </summary>
internal sealed class PositionResolver
{
    private readonly ConsumerOptions _options;
    private readonly ILogger _log;
    private readonly SubscriptionState _state;
    private readonly object _gate;
    private readonly List<PartitionState> _order;
    private readonly BackgroundTasks _tasks;
    private readonly CancellationTokenSource _closing;

    public PositionResolver(ConsumerOptions options, ILogger log, SubscriptionState state, BackgroundTasks tasks, OffsetLookup offsets)
    {
        _options = options;
        _log = log;
        _state = state;
        _gate = state.Gate;
        _order = state.Order;
        _tasks = tasks;
        _closing = tasks.Closing;
        Offsets = offsets;
    }

    private OffsetLookup Offsets { get; }

    /// <summary>Set when the consumer has a group: positions of new partitions come from committed offsets first.</summary>
    public Func<IReadOnlyCollection<TopicPartition>, CancellationToken, Task<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata?>>>? CommittedLookup { get; set; }

    /// <summary>Finds positions for partitions that have none: the committed offset (in a group) or the reset strategy.
    /// Returns how long until a partition backing off after a failed lookup may try again.</summary>
    /// <remarks>Each lookup is bound to the partition's <see cref="PartitionState.Version"/> read here, under the lock,
    /// when it is planned: a seek or reset made after this point (even before the lookup task first runs) supersedes it,
    /// so its answer is dropped and the lookup for the new position starts at once.</remarks>
    public TimeSpan StartLookups()
    {
        var now = Now();
        var nextDue = long.MaxValue;
        List<PlannedLookup> committed = [];
        List<PlannedLookup> earliest = [];
        List<PlannedLookup> latest = [];
        lock (_gate)
        {
            List<TopicPartition>? noOffset = null;
            foreach (var state in _order)
            {
                if (state.HasPosition || state.PositionLookupInFlight || state.Error is not null) continue;
                if (state.RetryAt > now)
                {
                    nextDue = Math.Min(nextDue, state.RetryAt);
                    continue;
                }
                var planned = new PlannedLookup(state, state.Version);
                if (state.AwaitingCommitted && CommittedLookup is not null)
                {
                    committed.Add(planned);
                    continue;
                }
                switch (state.PendingReset)
                {
                    case AutoOffsetReset.Earliest: earliest.Add(planned); break;
                    case AutoOffsetReset.Latest: latest.Add(planned); break;
                    default:
                        (noOffset ??= []).Add(state.Partition);
                        state.Error = new NoOffsetForPartitionException([state.Partition]);
                        break;
                }
            }
            if (noOffset is not null) _state.SignalDataLocked();
            foreach (var planned in committed.Concat(earliest).Concat(latest)) planned.State.LookupVersion = planned.Version;
        }
        if (committed.Count + earliest.Count + latest.Count > 0) LookupsPlanned?.Invoke();
        if (committed.Count > 0) _tasks.Track(LookUpCommittedAsync(committed));
        if (earliest.Count > 0) _tasks.Track(ResetAsync(earliest, OffsetLookup.Earliest));
        if (latest.Count > 0) _tasks.Track(ResetAsync(latest, OffsetLookup.Latest));
        return UntilDue(nextDue, now);
    }

    /// <summary>Test seam: runs on the fetcher loop right after position lookups were planned and before their tasks
    /// start. A seek made here is one made the instant after the loop planned a reset, the window issue 16 was about.</summary>
    public Action? LookupsPlanned { get; set; }

    /// <summary>A position lookup for <see cref="State"/> as it was at <see cref="Version"/>.</summary>
    private readonly record struct PlannedLookup(PartitionState State, int Version)
    {
        /// <summary>The partition still wants this lookup's answer: no seek, reset or revocation since it was planned.</summary>
        public bool IsCurrent => State.Version == Version && !State.HasPosition;

        public override string ToString() => State.Partition.ToString();
    }

    private async Task LookUpCommittedAsync(List<PlannedLookup> lookups)
    {
        await Task.Yield();
        try
        {
            var committed = await CommittedLookup!([.. lookups.Select(l => l.State.Partition)], _closing.Token).ConfigureAwait(false);
            lock (_gate)
            {
                foreach (var lookup in lookups)
                {
                    var state = lookup.State;
                    var found = committed.TryGetValue(state.Partition, out var offset) && offset is { Offset: >= 0 };
                    if (!lookup.IsCurrent)
                    {
                        LogSuperseded(lookup, "committed offset", found ? offset!.Offset : null);
                        continue;
                    }
                    if (found)
                    {
                        _log.LogDebug("{Partition}: position {Offset} from the committed offset", state.Partition, offset!.Offset);
                        state.SeekTo(offset.Offset, offset.LeaderEpoch);
                    }
                    else
                    {
                        state.AwaitingCommitted = false; // no commit: the reset strategy decides
                    }
                }
                _state.SignalDataLocked();
            }
        }
        catch (Exception e) when (!_closing.IsCancellationRequested)
        {
            _log.LogWarning("Looking up committed offsets for {Partitions} failed (retrying in {Backoff} ms): {Error}", string.Join(", ", lookups), _options.RetryBackoff.TotalMilliseconds, e.Message);
            lock (_gate)
            {
                foreach (var lookup in lookups.Where(l => l.IsCurrent)) lookup.State.RetryAt = After(_options.RetryBackoff);
            }
        }
        finally
        {
            EndLookups(lookups);
        }
    }

    private async Task ResetAsync(List<PlannedLookup> lookups, long timestamp)
    {
        await Task.Yield();
        var what = timestamp == OffsetLookup.Earliest ? "log start" : "log end";
        try
        {
            var results = await Offsets.ListAsync(lookups.ToDictionary(l => l.State.Partition, _ => timestamp), _options.RequestTimeout, _closing.Token).ConfigureAwait(false);
            lock (_gate)
            {
                foreach (var lookup in lookups)
                {
                    var state = lookup.State;
                    if (!results.TryGetValue(state.Partition, out var result) || result.Offset < 0) continue;
                    if (!lookup.IsCurrent)
                    {
                        LogSuperseded(lookup, what, result.Offset);
                        continue;
                    }
                    _log.LogDebug("{Partition}: position {Offset} from the {What}", state.Partition, result.Offset, what);
                    state.SeekTo(result.Offset, result.LeaderEpoch);
                }
                _state.SignalDataLocked();
            }
        }
        catch (Exception e) when (!_closing.IsCancellationRequested)
        {
            _log.LogWarning("Resetting offsets of {Partitions} to the {What} failed (retrying in {Backoff} ms): {Error}", string.Join(", ", lookups), what, _options.RetryBackoff.TotalMilliseconds, e.Message);
            lock (_gate)
            {
                foreach (var lookup in lookups.Where(l => l.IsCurrent))
                {
                    lookup.State.RetryAt = After(_options.RetryBackoff);
                    if (e is KafkaAuthorizationException or UnsupportedVersionException) lookup.State.Error = e;
                }
                _state.SignalDataLocked();
            }
        }
        finally
        {
            EndLookups(lookups);
        }
    }

    /// <summary>Called under <c>_gate</c>.</summary>
    private void LogSuperseded(PlannedLookup lookup, string what, long? offset) =>
        _log.LogDebug("{Partition}: dropped the {What} answer ({Offset}) of a lookup made for position version {Version}; superseded by a seek, reset or revocation (now version {Current})",
            lookup.State.Partition, what, offset, lookup.Version, lookup.State.Version);

    /// <summary>A position lookup ended (answered or not): its partitions may be looked up again, and the loop runs.</summary>
    private void EndLookups(List<PlannedLookup> lookups)
    {
        lock (_gate)
        {
            foreach (var lookup in lookups)
            {
                if (lookup.State.LookupVersion == lookup.Version) lookup.State.LookupVersion = -1;
            }
        }
        _tasks.Wake();
    }
}
