namespace TypedKafka.Hosting.Engine;

/// <summary>
/// The offsets of one partition handed to one processor and not yet committable, in fetch order, and which of them
/// completed. <see cref="Committable"/> is the lowest offset not completed (or, when all are, the offset after the
/// last one seen): a commit of it never passes an unfinished record, whatever order records complete in.
/// </summary>
/// <remarks>
/// A ring of (offset, done) pairs: <see cref="Track"/> appends and returns a ticket (a sequence number),
/// <see cref="Complete"/> marks a ticket done in O(1), and the completed prefix is dropped at once, so the ring holds
/// only the records from the lowest unfinished one to the newest (its capacity is the largest such span seen, rounded
/// up to a power of two). Offsets may have gaps (control records, compaction). Not thread-safe: the owner locks.
/// </remarks>
internal sealed class OffsetWindow
{
    private long[] _offsets;
    private bool[] _done;
    private int _head;
    private int _count;
    private long _headTicket;
    private long _next = -1;

    public OffsetWindow(int initialCapacity = 16)
    {
        var capacity = 1;
        while (capacity < Math.Max(1, initialCapacity)) capacity <<= 1;
        _offsets = new long[capacity];
        _done = new bool[capacity];
    }

    /// <summary>Records tracked and not yet committable (from the lowest unfinished to the newest).</summary>
    public int Pending => _count;

    /// <summary>The ring's size (bounded by the largest <see cref="Pending"/> seen).</summary>
    public int Capacity => _offsets.Length;

    /// <summary>The offset to commit: the lowest tracked offset not completed; when every tracked offset completed, the
    /// one after the last seen (<see cref="Track"/> or <see cref="Advance"/>); -1 before anything was seen.</summary>
    public long Committable => _count > 0 ? _offsets[_head] : _next;

    /// <summary>The ticket the next <see cref="Track"/> returns.</summary>
    public long NextTicket => _headTicket + _count;

    /// <summary>Adds the next record handed out.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset is not above every offset seen.</exception>
    public long Track(long offset)
    {
        if (offset < _next || offset < 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Offsets are tracked in increasing order; the next one is at least {_next}.");
        if (_count == _offsets.Length) Grow();
        var index = (_head + _count) & (_offsets.Length - 1);
        _offsets[index] = offset;
        _done[index] = false;
        _count++;
        _next = offset + 1;
        return _headTicket + _count - 1;
    }

    /// <summary>The consumer's position moved to <paramref name="position"/> past records that were not handed out
    /// (control records, aborted transactions): once everything before completes, that is what gets committed.</summary>
    public void Advance(long position)
    {
        if (position > _next) _next = position;
    }

    /// <summary>Marks a tracked record completed.</summary>
    /// <returns>How many records became committable (left the window).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The ticket is not pending (never tracked, or completed already).</exception>
    public int Complete(long ticket)
    {
        var position = ticket - _headTicket;
        if (position < 0 || position >= _count)
            throw new ArgumentOutOfRangeException(nameof(ticket), ticket, $"Ticket {ticket} is not pending (pending: {_headTicket}..{_headTicket + _count - 1}).");
        var mask = _offsets.Length - 1;
        var index = (int)((_head + position) & mask);
        if (_done[index])
            throw new ArgumentOutOfRangeException(nameof(ticket), ticket, $"Ticket {ticket} (offset {_offsets[index]}) was completed already.");
        _done[index] = true;
        if (position != 0) return 0;
        var released = 0;
        while (_count > 0 && _done[_head])
        {
            _head = (_head + 1) & mask;
            _count--;
            _headTicket++;
            released++;
        }
        if (_count == 0) _head = 0;
        return released;
    }

    private void Grow()
    {
        var offsets = new long[_offsets.Length * 2];
        var done = new bool[_offsets.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            var from = (_head + i) & (_offsets.Length - 1);
            offsets[i] = _offsets[from];
            done[i] = _done[from];
        }
        _offsets = offsets;
        _done = done;
        _head = 0;
    }
}
