using TypedKafka.Hosting.Engine;

namespace TypedKafka.Hosting.Tests;

/// <summary>The offset window's rule, checked against a model over many random runs: the committable offset is the
/// lowest tracked offset not completed (the next offset when all completed), whatever the completion order.</summary>
public sealed class OffsetWindowTests
{
    [Fact]
    public void Random_completion_orders_always_give_the_lowest_unfinished_offset()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var window = new OffsetWindow(initialCapacity: 1 + random.Next(8));
            var offset = (long)random.Next(1000);
            var tracked = new List<(long Offset, long Ticket)>();
            var unfinished = new SortedSet<long>();
            long next = -1;
            Assert.Equal(-1, window.Committable);
            for (var step = 0; step < 400; step++)
            {
                if (random.Next(3) > 0 || tracked.Count == 0)
                {
                    offset += 1 + (random.Next(5) == 0 ? random.Next(4) : 0); // gaps: control records, compaction
                    var ticket = window.Track(offset);
                    tracked.Add((offset, ticket));
                    unfinished.Add(offset);
                    next = offset + 1;
                }
                else
                {
                    var pick = random.Next(tracked.Count);
                    var (done, ticket) = tracked[pick];
                    tracked.RemoveAt(pick);
                    window.Complete(ticket);
                    unfinished.Remove(done);
                }
                var expected = unfinished.Count > 0 ? unfinished.Min : next;
                Assert.Equal(expected, window.Committable);
                Assert.True(window.Pending >= unfinished.Count);
            }
        }
    }

    [Fact]
    public void Advance_covers_offsets_the_consumer_skipped_after_the_last_record()
    {
        var window = new OffsetWindow();
        var a = window.Track(10);
        window.Advance(13); // a control record at 11..12
        Assert.Equal(10, window.Committable);
        window.Complete(a);
        Assert.Equal(13, window.Committable);
        Assert.Throws<ArgumentOutOfRangeException>(() => window.Track(12));
    }

    [Fact]
    public void Completing_a_ticket_twice_or_one_never_tracked_is_refused()
    {
        var window = new OffsetWindow();
        var a = window.Track(0);
        var b = window.Track(1);
        window.Complete(b);
        Assert.Throws<ArgumentOutOfRangeException>(() => window.Complete(b));
        Assert.Throws<ArgumentOutOfRangeException>(() => window.Complete(b + 1));
        window.Complete(a);
        Assert.Throws<ArgumentOutOfRangeException>(() => window.Complete(a));
        Assert.Equal(2, window.Committable);
    }

    [Fact]
    public void Memory_stays_bounded_by_the_records_in_flight_over_a_long_run()
    {
        // Ten million steps, at most 64 records in flight, completing in random order: the ring only ever holds the
        // span from the oldest unfinished record to the newest, never the run's history.
        var random = new Random(7);
        var window = new OffsetWindow();
        var inFlight = new List<long>();
        long offset = 0;
        var widest = 0;
        for (var i = 0; i < 10_000_000; i++)
        {
            if (inFlight.Count < 64 && random.Next(2) == 0)
            {
                inFlight.Add(window.Track(offset++));
            }
            else if (inFlight.Count > 0)
            {
                var pick = random.Next(inFlight.Count);
                window.Complete(inFlight[pick]);
                inFlight[pick] = inFlight[^1];
                inFlight.RemoveAt(inFlight.Count - 1);
            }
            widest = Math.Max(widest, window.Pending);
        }
        Assert.True(offset > 4_000_000);
        Assert.True(widest < 10_000, $"The oldest record stayed unfinished across {widest} newer ones.");
        Assert.True(window.Capacity <= (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)widest),
            $"The ring has {window.Capacity} slots for a widest span of {widest}.");
    }
}
