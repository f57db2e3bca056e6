namespace TypedKafka.Hosting.Engine;

/// <summary>
/// One assigned partition of a group, from its assignment to its revocation (a reassignment makes a new run): the
/// offset window of each processor of its topic, the count of handler calls running, whether new records may start,
/// and the tokens handed to handlers. Chunks and lanes point at their run, so work of an old assignment can never
/// touch a newer one.
/// </summary>
/// <remarks>
/// <c>_gate</c> guards the windows, <see cref="InFlight"/>, <c>_started</c>, <c>_draining</c> and <see cref="Paused"/>
/// (with the consumer's Pause/Resume calls made under it, so their order matches the flag's). It is a leaf lock
/// except for those consumer calls (which take the consumer's own lock and never call back).
/// </remarks>
internal sealed class PartitionRun
{
    private readonly object _gate = new();
    private readonly OffsetWindow[] _windows;
    private readonly GroupEngine _engine;
    private readonly CancellationTokenSource _handlers = new();
    private readonly CancellationTokenSource _stop = new();
    private int _started;
    private bool _draining;
    private TaskCompletionSource? _drained;
    private long _lastSent = -1;

    public PartitionRun(TopicPartition partition, RouteProcessors route, GroupEngine engine)
    {
        Partition = partition;
        Route = route;
        _engine = engine;
        _windows = new OffsetWindow[route.Processors.Count];
        for (var i = 0; i < _windows.Length; i++) _windows[i] = new OffsetWindow();
        Lanes = new Lane[route.Processors.Count];
        for (var i = 0; i < Lanes.Length; i++) Lanes[i] = new Lane(this, null);
        KeyLanes = new Dictionary<byte[], Lane>?[route.Processors.Count];
    }

    public TopicPartition Partition { get; }

    public RouteProcessors Route { get; }

    /// <summary>Per processor: the partition's lane (Partition and Unordered ordering, batches) or its null-key lane (Key).</summary>
    public Lane[] Lanes { get; }

    /// <summary>Per processor with Key ordering: the lanes of non-null keys (each slot guarded by that processor's gate).</summary>
    public Dictionary<byte[], Lane>?[] KeyLanes { get; }

    /// <summary>Handlers' token: cancelled when the partition is lost or the shutdown timeout runs out.</summary>
    public CancellationToken HandlerToken => _handlers.Token;

    /// <summary>Cancelled once no new record may start (revocation, loss, shutdown): ends retry pauses and batch waits.</summary>
    public CancellationToken StopToken => _stop.Token;

    public bool Draining => Volatile.Read(ref _draining);

    /// <summary>Records fetched and not yet committable (the widest window): what backpressure counts.</summary>
    public int InFlight { get; private set; }

    /// <summary>Whether the engine paused the partition in the consumer (guarded by <c>_gate</c>).</summary>
    public bool Paused { get; private set; }

    /// <summary>The last offset sent in a commit (poll loop and the commit callback).</summary>
    public long LastSent
    {
        get => Interlocked.Read(ref _lastSent);
        set => Interlocked.Exchange(ref _lastSent, value);
    }

    /// <summary>Tracks the chunk's records in every window (tickets are equal across windows: they see the same records).</summary>
    public void Track(RecordChunk chunk)
    {
        int delta;
        lock (_gate)
        {
            for (var i = 0; i < chunk.Count; i++)
            {
                ref var slot = ref chunk.Slots[i];
                slot.Ticket = _windows[0].Track(slot.Offset);
                for (var w = 1; w < _windows.Length; w++) _windows[w].Track(slot.Offset);
            }
            delta = UpdateInFlightLocked();
        }
        _engine.AddInFlight(delta);
    }

    public void Advance(long position)
    {
        lock (_gate)
        {
            foreach (var window in _windows) window.Advance(position);
        }
    }

    /// <summary>The offset to commit (-1: nothing seen yet).</summary>
    public long Committable
    {
        get
        {
            lock (_gate)
            {
                var lowest = long.MaxValue;
                foreach (var window in _windows)
                {
                    var committable = window.Committable;
                    if (committable < 0) return -1;
                    lowest = Math.Min(lowest, committable);
                }
                return lowest;
            }
        }
    }

    /// <summary>A handler call may start (false once draining).</summary>
    public bool TryStart()
    {
        lock (_gate)
        {
            if (_draining) return false;
            _started++;
            return true;
        }
    }

    public void Finish()
    {
        TaskCompletionSource? drained = null;
        lock (_gate)
        {
            if (--_started == 0 && _draining) drained = _drained;
        }
        drained?.TrySetResult();
    }

    /// <summary>Marks records completed by one processor and releases them; resumes the partition when it drained enough.</summary>
    public void Complete(int processor, ReadOnlySpan<RecordRef> records)
    {
        if (records.IsEmpty) return;
        int delta;
        bool resume;
        lock (_gate)
        {
            var window = _windows[processor];
            foreach (var record in records) window.Complete(record.Slot.Ticket);
            delta = UpdateInFlightLocked();
            resume = Paused && delta < 0;
        }
        _engine.AddInFlight(delta);
        Release(records);
        if (resume || (delta < 0 && _engine.HasPaused)) _engine.ResumeDrained();
    }

    /// <summary>Releases records of one processor without completing them (dropped at revocation or shutdown).</summary>
    public static void Release(ReadOnlySpan<RecordRef> records)
    {
        var i = 0;
        while (i < records.Length)
        {
            var chunk = records[i].Chunk;
            var n = 1;
            while (i + n < records.Length && ReferenceEquals(records[i + n].Chunk, chunk)) n++;
            chunk.Release(n);
            i += n;
        }
    }

    /// <summary>Pauses the partition in the consumer when <paramref name="shouldPause"/> says so (poll loop only).</summary>
    public bool PauseIf(Func<PartitionRun, bool> shouldPause, Action<PartitionRun> pause)
    {
        lock (_gate)
        {
            if (Paused || _draining || !shouldPause(this)) return false;
            pause(this);
            Paused = true;
            return true;
        }
    }

    /// <summary>Resumes the partition in the consumer when <paramref name="mayResume"/> says so.</summary>
    public bool ResumeIf(Func<PartitionRun, bool> mayResume, Action<PartitionRun> resume)
    {
        lock (_gate)
        {
            if (!Paused || _draining || !mayResume(this)) return false;
            Paused = false;
            resume(this);
            return true;
        }
    }

    /// <summary>Stops new records from starting; completes when every handler call of the run has returned.</summary>
    public Task DrainAsync()
    {
        Task result;
        lock (_gate)
        {
            _draining = true;
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_started == 0) _drained.TrySetResult();
            result = _drained.Task;
        }
        _stop.Cancel();
        foreach (var processor in Route.Processors) processor.Purge(this);
        return result;
    }

    /// <summary>Cancels the handlers' tokens (partition lost, or the shutdown timeout ran out).</summary>
    public void CancelHandlers() => _handlers.Cancel();

    /// <summary>The run is gone: nothing of it counts as in flight any more.</summary>
    public void Forget()
    {
        int delta;
        lock (_gate)
        {
            delta = -InFlight;
            InFlight = 0;
        }
        _engine.AddInFlight(delta);
    }

    private int UpdateInFlightLocked()
    {
        var widest = 0;
        foreach (var window in _windows) widest = Math.Max(widest, window.Pending);
        var delta = _draining ? 0 : widest - InFlight;
        if (!_draining) InFlight = widest;
        return delta;
    }

    public override string ToString() => Partition.ToString();
}

/// <summary>A queue of records handled one at a time (an exclusive lane: a partition, or a key of a partition) or by
/// several workers at once (Unordered). Fields are guarded by the owning processor's gate.</summary>
internal sealed class Lane(PartitionRun run, byte[]? key)
{
    public PartitionRun Run { get; } = run;

    public byte[]? Key { get; } = key;

    public Queue<RecordRef> Pending { get; } = new();

    /// <summary>A worker holds it (exclusive lanes).</summary>
    public bool Busy;

    /// <summary>It is in the processor's ready queue.</summary>
    public bool Queued;

    /// <summary>A batch worker holding the lane waits for more records.</summary>
    public TaskCompletionSource? Arrival;
}
