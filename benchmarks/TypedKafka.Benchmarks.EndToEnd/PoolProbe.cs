using System.Buffers;
using System.Globalization;
using System.Reflection;
using System.Text;
using TypedKafka.Connections;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>
/// Diagnostics for <c>--breakdown</c>: the state of <c>ResponseFrame.Pool</c> (TypedKafka's pool of Fetch response
/// buffers, a <c>ConfigurableArrayPool</c>), read by reflection: per bucket size, how many arrays are rented and not
/// returned (the bucket's index). A count that grows from run to run means buffers that are never returned; one that
/// reaches the bucket's capacity means every further rent of that size allocates. Not used by the measured runs.
/// </summary>
internal static class PoolProbe
{
    public static string Describe()
    {
        try
        {
            var pool = ResponseFrame.Pool;
            var buckets = pool.GetType().GetField("_buckets", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(pool) as Array;
            if (buckets is null) return "response pool: cannot read " + pool.GetType().Name;
            var sb = new StringBuilder("response pool outstanding:");
            var any = false;
            foreach (var bucket in buckets)
            {
                if (bucket is null) continue;
                var type = bucket.GetType();
                var index = (int)(type.GetField("_index", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(bucket) ?? 0);
                var length = (int)(type.GetField("_bufferLength", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(bucket) ?? 0);
                var capacity = (type.GetField("_buffers", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(bucket) as Array)?.Length ?? 0;
                if (index == 0) continue;
                any = true;
                sb.Append(CultureInfo.InvariantCulture, $" {length / 1024}K×{index}/{capacity}");
            }
            return any ? sb.ToString() : "response pool: nothing outstanding";
        }
        catch (Exception e) when (e is TargetException or FieldAccessException or InvalidCastException)
        {
            return "response pool: " + e.Message;
        }
    }
}
