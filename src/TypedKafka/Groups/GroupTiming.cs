using System.Diagnostics;
using TypedKafka.Groups.Assignors;

namespace TypedKafka.Groups;

/// <summary>Deadlines in <see cref="Stopwatch"/> ticks and the small formatting helpers the coordinator and both
/// membership protocols share.</summary>
internal static class GroupTiming
{
    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static TimeSpan Remaining(long deadline)
    {
        var left = deadline - Stopwatch.GetTimestamp();
        return left <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)left / Stopwatch.Frequency);
    }

    /// <summary>Waits for <paramref name="task"/> until <paramref name="deadline"/>; false when it is still running.</summary>
    public static async ValueTask<bool> WaitUntilAsync(Task task, long deadline, CancellationToken ct)
    {
        if (task.IsCompleted) return true;
        var left = Remaining(deadline);
        if (left <= TimeSpan.Zero) return false;
        try
        {
            await task.WaitAsync(left, ct).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            return false;
        }
        catch (Exception) when (task.IsCompleted)
        {
            // observed by the caller
        }
        return true;
    }

    /// <summary>A best-effort leave from a poll gets the poll's remaining time, but at least half a second.</summary>
    public static TimeSpan LeaveTimeout(long deadline)
    {
        var left = Remaining(deadline);
        return left > TimeSpan.FromMilliseconds(500) ? left : TimeSpan.FromMilliseconds(500);
    }

    public static List<TopicPartition> Sorted(IEnumerable<TopicPartition> partitions)
    {
        var list = partitions.ToList();
        list.Sort(AssignorSupport.PartitionOrder);
        return list;
    }

    public static string Describe(IReadOnlyCollection<TopicPartition> partitions) =>
        partitions.Count == 0 ? "no partitions" : partitions.Count <= 20 ? string.Join(", ", partitions) : $"{partitions.Count} partitions ({string.Join(", ", partitions.Take(20))}, ...)";

    public static bool IsRetriableRequestFailure(Exception e, CancellationToken ct) =>
        !ct.IsCancellationRequested
        && (CoordinatorChannel.IsTransportFailure(e) || (e is KafkaBrokerException b && (b.IsRetriable || b.ErrorCode == Protocol.ErrorCode.NotCoordinator)));
}
