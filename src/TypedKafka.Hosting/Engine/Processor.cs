namespace TypedKafka.Hosting.Engine;

/// <summary>
/// Runs one kind of handler of one topic (the topic's record handlers, or one batch handler) for every partition of the
/// topic: records wait in lanes (per partition, per key of a partition, or shared by a partition's records), lanes with
/// records wait in the ready queue, and at most <see cref="MaxConcurrency"/> workers take records from ready lanes.
/// </summary>
/// <remarks>
/// <para>Threads: the poll loop enqueues (<see cref="Enqueue"/>); workers run on the thread pool, started when ready lanes
/// outnumber the free workers, and end when the ready queue is empty. An exclusive lane is held by one worker at a time
/// (its records run in order); a shared lane (Unordered) is taken from by several. A worker takes up to a quantum of
/// records from its lane (one when other lanes wait for a worker, so keys share the workers fairly), then puts the lane
/// back at the end of the ready queue when records remain.</para>
/// <para><c>_gate</c> guards the ready queue, every lane's fields, the key-lane dictionaries and the counters. It is
/// never held while a handler runs; it may be taken while a run's gate is not held, never the other way round
/// (<see cref="PartitionRun.DrainAsync"/> calls <see cref="Purge"/> outside the run's gate).</para>
/// </remarks>
internal abstract class Processor
{
    /// <summary>Records a worker takes from its lane at once when nothing else waits for a worker.</summary>
    private const int Quantum = 256;

    /// <summary>Idle key lanes are dropped once a partition has more than this many.</summary>
    private const int MaxIdleKeyLanes = 1024;

    private readonly object _gate = new();
    private readonly Queue<Lane> _ready = new();
    private readonly Stack<WorkerSlot> _slots = new();
    private readonly bool _shared;
    private int _active;
    private int _busy;
    private int _sharedPending;
    private int _peakBusy;

    protected Processor(int index, string name, KafkaOrdering ordering, int maxConcurrency, GroupEngine engine)
    {
        Index = index;
        Name = name;
        Ordering = ordering;
        MaxConcurrency = maxConcurrency;
        Engine = engine;
        _shared = ordering == KafkaOrdering.Unordered;
    }

    /// <summary>This processor's window in each <see cref="PartitionRun"/> of its topic.</summary>
    public int Index { get; }

    /// <summary>The handler(s), for logs.</summary>
    public string Name { get; }

    public KafkaOrdering Ordering { get; }

    public int MaxConcurrency { get; }

    protected GroupEngine Engine { get; }

    public IServiceProvider Services => Engine.Services;

    public TypedKafka.SchemaRegistry.ISchemaRegistryClient? SchemaRegistry => Engine.SchemaRegistry;

    /// <summary>Workers holding records now (each runs one handler call at a time), and the most seen at once (status
    /// and tests). Counted under the gate a worker takes anyway, so the hot path pays no extra atomic operation.</summary>
    public int Running => Volatile.Read(ref _busy);

    public int PeakRunning => Volatile.Read(ref _peakBusy);

    /// <summary>Queues the chunk's records (poll loop).</summary>
    public void Enqueue(PartitionRun run, RecordChunk chunk)
    {
        lock (_gate)
        {
            for (var i = 0; i < chunk.Count; i++)
            {
                var lane = LaneFor(run, chunk, i);
                lane.Pending.Enqueue(new RecordRef(chunk, i));
                if (_shared) _sharedPending++;
                if (!lane.Queued && !lane.Busy)
                {
                    lane.Queued = true;
                    _ready.Enqueue(lane);
                }
                if (lane.Arrival is { } arrival)
                {
                    lane.Arrival = null;
                    arrival.TrySetResult();
                }
            }
            StartWorkersLocked();
        }
    }

    /// <summary>Drops the queued records of a draining run (they are never completed, so never committed).</summary>
    public void Purge(PartitionRun run)
    {
        lock (_gate)
        {
            DropLocked(run.Lanes[Index]);
            if (run.KeyLanes[Index] is { } keys)
            {
                foreach (var lane in keys.Values) DropLocked(lane);
            }
        }
    }

    private Lane LaneFor(PartitionRun run, RecordChunk chunk, int index)
    {
        if (Ordering != KafkaOrdering.Key) return run.Lanes[Index];
        ref var slot = ref chunk.Slots[index];
        if (slot.KeyLength < 0) return run.Lanes[Index];
        var lanes = run.KeyLanes[Index] ??= new Dictionary<byte[], Lane>(KeyComparer.Instance);
        var lookup = lanes.GetAlternateLookup<ReadOnlySpan<byte>>();
        var key = chunk.Key(slot);
        if (!lookup.TryGetValue(key, out var lane))
        {
            var copy = key.ToArray();
            lane = new Lane(run, copy);
            lanes.Add(copy, lane);
        }
        return lane;
    }

    private void StartWorkersLocked()
    {
        var runnable = _shared ? _sharedPending : _ready.Count;
        while (_active < MaxConcurrency && _active - _busy < runnable)
        {
            _active++;
            ThreadPool.UnsafeQueueUserWorkItem(static p => _ = p.WorkerAsync(), this, preferLocal: false);
        }
    }

    private async Task WorkerAsync()
    {
        WorkerSlot slot;
        lock (_gate) slot = _slots.TryPop(out var idle) ? idle : new WorkerSlot(this);
        try
        {
            while (true)
            {
                Lane? lane;
                int taken;
                lock (_gate)
                {
                    if (!TakeLocked(slot, out lane, out taken))
                    {
                        _active--;
                        return;
                    }
                }
                try
                {
                    await RunAsync(lane, slot, taken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // RunAsync handles handler failures itself: this is a bug in the engine. The records stay unfinished.
                    Engine.Fatal(new InvalidOperationException($"The TypedKafka engine failed while running {Name} on {lane.Run.Partition}: {e.Message}", e));
                }
                lock (_gate)
                {
                    _busy--;
                    if (!_shared)
                    {
                        lane.Busy = false;
                        if (lane.Run.Draining) DropLocked(lane);
                        else if (lane.Pending.Count > 0)
                        {
                            lane.Queued = true;
                            _ready.Enqueue(lane);
                        }
                        else if (lane.Key is not null && lane.Run.KeyLanes[Index] is { Count: > MaxIdleKeyLanes } keys)
                        {
                            keys.Remove(lane.Key);
                        }
                    }
                }
            }
        }
        finally
        {
            lock (_gate) _slots.Push(slot);
        }
    }

    /// <summary>Takes the next ready lane and up to a quantum of its records into the slot.</summary>
    private bool TakeLocked(WorkerSlot slot, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Lane? lane, out int taken)
    {
        while (_ready.TryDequeue(out lane))
        {
            lane.Queued = false;
            if (lane.Run.Draining)
            {
                DropLocked(lane);
                continue;
            }
            if (lane.Pending.Count == 0) continue;
            var quantum = _shared
                ? Math.Clamp(lane.Pending.Count / Math.Max(1, MaxConcurrency), 1, 64)
                : _ready.Count > 0 && _active >= MaxConcurrency ? FairQuantum : QuantumLimit;
            taken = TakeLocked(lane, slot.Records, 0, quantum);
            if (++_busy > _peakBusy) _peakBusy = _busy;
            if (_shared)
            {
                if (lane.Pending.Count > 0)
                {
                    lane.Queued = true;
                    _ready.Enqueue(lane);
                }
            }
            else
            {
                lane.Busy = true;
            }
            return true;
        }
        taken = 0;
        return false;
    }

    private int TakeLocked(Lane lane, RecordRef[] into, int from, int most)
    {
        var n = 0;
        while (n < most && from + n < into.Length && lane.Pending.TryDequeue(out var record))
        {
            into[from + n] = record;
            n++;
        }
        if (_shared) _sharedPending -= n;
        return n;
    }

    /// <summary>For a worker holding an exclusive lane: takes more records into the slot (batch handlers filling a batch).</summary>
    protected int TakeMore(Lane lane, WorkerSlot slot, int from, int most)
    {
        lock (_gate) return TakeLocked(lane, slot.Records, from, most);
    }

    /// <summary>Completes when the held lane gets more records, or at once when it has some.</summary>
    protected Task ArrivalAsync(Lane lane)
    {
        lock (_gate)
        {
            if (lane.Pending.Count > 0) return Task.CompletedTask;
            lane.Arrival ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return lane.Arrival.Task;
        }
    }

    private void DropLocked(Lane lane)
    {
        if (lane.Busy || lane.Pending.Count == 0) return;
        if (_shared) _sharedPending -= lane.Pending.Count;
        while (lane.Pending.TryDequeue(out var record)) record.Chunk.Release();
    }

    /// <summary>The most records <see cref="RunAsync"/> takes at once (a batch processor: its batch size).</summary>
    protected virtual int QuantumLimit => Quantum;

    /// <summary>What a worker takes when other lanes wait for a worker (one record; a batch processor: a batch).</summary>
    protected virtual int FairQuantum => 1;

    /// <summary>Handles <paramref name="taken"/> records of <paramref name="lane"/> (in <c>slot.Records</c>): completes or
    /// releases every one of them. Never throws for a handler failure.</summary>
    protected abstract ValueTask RunAsync(Lane lane, WorkerSlot slot, int taken);

    public override string ToString() => $"{Name} ({Ordering}, at most {MaxConcurrency})";
}

/// <summary>What one worker reuses from record to record: the records taken, the context handed to handlers (valid
/// during the call), the DI scope of one call, a batch handler's buffer.</summary>
internal sealed class WorkerSlot(Processor processor)
{
    public RecordRef[] Records { get; } = new RecordRef[processor is BatchProcessor batch ? batch.BatchSize : 256];

    public MessageContext Context { get; } = new() { SchemaRegistry = processor.SchemaRegistry };

    public CallScope Scope { get; } = new(processor);

    public KafkaBatchBuffer? Buffer { get; set; }
}

/// <summary>Compares keys by their bytes; looks them up by span (no copy per record).</summary>
internal sealed class KeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly KeyComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] key) => GetHashCode((ReadOnlySpan<byte>)key);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = new HashCode();
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
