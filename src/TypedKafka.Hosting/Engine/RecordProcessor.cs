using System.Runtime.ExceptionServices;

namespace TypedKafka.Hosting.Engine;

/// <summary>Runs the record handlers of one topic (the generated invoker calls each of them) for one record at a time
/// per lane. A handler that completes synchronously costs no await: completions are then marked in runs of records.</summary>
internal sealed class RecordProcessor(int index, string name, KafkaOrdering ordering, int maxConcurrency, GroupEngine engine,
    KafkaRecordInvoker invoker, DeserializationErrorPolicy policy)
    : Processor(index, name, ordering, maxConcurrency, engine)
{
    protected override async ValueTask RunAsync(Lane lane, WorkerSlot slot, int taken)
    {
        var run = lane.Run;
        var records = slot.Records;
        if (!run.TryStart())
        {
            PartitionRun.Release(records.AsSpan(0, taken));
            return;
        }
        var completed = 0; // records[..completed] are marked completed; records[completed..i] succeeded, not yet marked
        var i = 0;
        try
        {
            for (; i < taken; i++)
            {
                if (run.Draining) break;
                ValueTask pending;
                Exception? error = null;
                try
                {
                    pending = Invoke(run, records[i], slot);
                }
                catch (Exception e)
                {
                    pending = default;
                    error = e;
                }
                if (error is null && pending.IsCompletedSuccessfully)
                {
                    pending.GetAwaiter().GetResult();
                    var end = slot.Scope.EndAsync();
                    if (!end.IsCompletedSuccessfully) await end.ConfigureAwait(false);
                    continue;
                }
                run.Complete(Index, records.AsSpan(completed, i - completed));
                completed = i;
                if (!await FinishAsync(run, records[i], slot, pending, error).ConfigureAwait(false)) break;
                run.Complete(Index, records.AsSpan(i, 1));
                completed = i + 1;
            }
            run.Complete(Index, records.AsSpan(completed, i - completed));
            PartitionRun.Release(records.AsSpan(i, taken - i));
        }
        finally
        {
            run.Finish();
        }
    }

    private ValueTask Invoke(PartitionRun run, RecordRef record, WorkerSlot slot)
    {
        var chunk = record.Chunk;
        ref var s = ref record.Slot;
        var partition = run.Partition;
        slot.Context.Set(partition.Topic, partition.Partition, s.Offset, s.Timestamp, s.Headers, chunk.KeyMemory(s), Engine.GroupId);
        return invoker(chunk.Key(s), s.KeyLength < 0, chunk.Value(s), s.ValueLength < 0, slot.Context, slot.Scope, run.HandlerToken);
    }

    /// <summary>Waits for a handler that did not complete synchronously, retrying it in place with backoff while it fails.</summary>
    /// <returns>True when the record completed (handled or skipped); false when it must stay unfinished (the run stops,
    /// or the group hit a fatal error).</returns>
    private async ValueTask<bool> FinishAsync(PartitionRun run, RecordRef record, WorkerSlot slot, ValueTask pending, Exception? error)
    {
        var offset = record.Slot.Offset;
        var attempt = 1;
        while (true)
        {
            try
            {
                if (error is not null) ExceptionDispatchInfo.Throw(error);
                await pending.ConfigureAwait(false);
                await slot.Scope.EndAsync().ConfigureAwait(false);
                if (attempt > 1) Engine.Recovered(run.Partition, offset, attempt);
                return true;
            }
            catch (RecordDeserializationException e)
            {
                await slot.Scope.EndAsync().ConfigureAwait(false);
                return Engine.Undeserializable(policy, e);
            }
            catch (OperationCanceledException) when (run.HandlerToken.IsCancellationRequested)
            {
                await slot.Scope.EndAsync().ConfigureAwait(false);
                Engine.Abandoned(run.Partition, offset);
                return false;
            }
            catch (Exception e)
            {
                await slot.Scope.EndAsync().ConfigureAwait(false);
                if (!await Engine.RetryPauseAsync(run, offset, attempt, Name, e).ConfigureAwait(false)) return false;
                attempt++;
                error = null;
                try
                {
                    pending = Invoke(run, record, slot);
                }
                catch (Exception again)
                {
                    pending = default;
                    error = again;
                }
            }
        }
    }
}
