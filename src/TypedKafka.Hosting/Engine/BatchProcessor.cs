using System.Diagnostics;

namespace TypedKafka.Hosting.Engine;

/// <summary>
/// Runs one batch handler: one lane per partition (batch handlers use Partition ordering), a batch is up to
/// <see cref="BatchSize"/> records of that partition in offset order, filled for at most <see cref="BatchWait"/>, handed
/// to one call, retried as a whole while the call fails, and completed (so committable) only after it succeeded.
/// </summary>
internal sealed class BatchProcessor(int index, KafkaHandlerDescriptor descriptor, int maxConcurrency, GroupEngine engine, DeserializationErrorPolicy policy)
    : Processor(index, descriptor.DisplayName, KafkaOrdering.Partition, maxConcurrency, engine)
{
    public const int DefaultBatchSize = 500;

    public int BatchSize { get; } = descriptor.MaxBatchSize > 0 ? descriptor.MaxBatchSize : DefaultBatchSize;

    public TimeSpan BatchWait { get; } = TimeSpan.FromMilliseconds(descriptor.MaxBatchWaitMs);

    protected override int QuantumLimit => BatchSize;

    protected override int FairQuantum => BatchSize;

    protected override async ValueTask RunAsync(Lane lane, WorkerSlot slot, int taken)
    {
        var run = lane.Run;
        var records = slot.Records;
        if (!run.TryStart())
        {
            PartitionRun.Release(records.AsSpan(0, taken));
            return;
        }
        var buffer = slot.Buffer ??= descriptor.CreateBatchBuffer!();
        buffer.Clear();
        var completed = false;
        try
        {
            if (BatchWait > TimeSpan.Zero && taken < BatchSize)
            {
                var started = Stopwatch.GetTimestamp();
                while (taken < BatchSize && !run.Draining)
                {
                    var remaining = BatchWait - Stopwatch.GetElapsedTime(started);
                    if (remaining <= TimeSpan.Zero) break;
                    var arrival = ArrivalAsync(lane);
                    if (!arrival.IsCompleted)
                        await Task.WhenAny(arrival, Task.Delay(remaining, run.StopToken)).ConfigureAwait(false);
                    taken += TakeMore(lane, slot, taken, BatchSize - taken);
                }
            }
            if (run.Draining) return;

            var partition = run.Partition;
            var context = slot.Context;
            for (var i = 0; i < taken; i++)
            {
                var chunk = records[i].Chunk;
                ref var s = ref records[i].Slot;
                context.Set(partition.Topic, partition.Partition, s.Offset, s.Timestamp, s.Headers, chunk.KeyMemory(s), Engine.GroupId);
                try
                {
                    buffer.Add(chunk.Key(s), s.KeyLength < 0, chunk.Value(s), s.ValueLength < 0, context);
                }
                catch (RecordDeserializationException e)
                {
                    // Skip: the record is left out of the batch and completes with it. Stop: the group stops before it.
                    if (!Engine.Undeserializable(policy, e)) return;
                }
            }
            if (buffer.Count == 0)
            {
                completed = true;
                return;
            }

            var attempt = 1;
            while (true)
            {
                SetLast(context, partition, records[taken - 1]);
                Exception? failure = null;
                try
                {
                    await buffer.InvokeAsync(context, slot.Scope, run.HandlerToken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    failure = e;
                }
                await slot.Scope.EndAsync().ConfigureAwait(false);
                if (failure is null)
                {
                    completed = true;
                    if (attempt > 1) Engine.Recovered(partition, records[0].Slot.Offset, attempt);
                    return;
                }
                if (failure is OperationCanceledException && run.HandlerToken.IsCancellationRequested)
                {
                    Engine.Abandoned(partition, records[0].Slot.Offset);
                    return;
                }
                if (!await Engine.RetryPauseAsync(run, records[0].Slot.Offset, attempt, Name, failure).ConfigureAwait(false)) return;
                attempt++;
            }
        }
        finally
        {
            buffer.Clear();
            if (completed) run.Complete(Index, records.AsSpan(0, taken));
            else PartitionRun.Release(records.AsSpan(0, taken));
            run.Finish();
        }
    }

    /// <summary>The call's context describes the batch's last record.</summary>
    private void SetLast(MessageContext context, TopicPartition partition, RecordRef last)
    {
        ref var s = ref last.Slot;
        context.Set(partition.Topic, partition.Partition, s.Offset, s.Timestamp, s.Headers, last.Chunk.KeyMemory(s), Engine.GroupId);
    }
}
