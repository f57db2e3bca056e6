using System.Collections;

namespace TypedKafka;

/// <summary>The records of one poll, grouped by partition in the order they were fetched.</summary>
public sealed class ConsumerRecords<TKey, TValue> : IReadOnlyCollection<ConsumerRecord<TKey, TValue>>
{
    private static readonly IReadOnlyList<ConsumerRecord<TKey, TValue>> None = Array.Empty<ConsumerRecord<TKey, TValue>>();

    private readonly Dictionary<TopicPartition, IReadOnlyList<ConsumerRecord<TKey, TValue>>> _byPartition;
    private readonly List<TopicPartition> _order;

    /// <summary>An empty result.</summary>
    public static ConsumerRecords<TKey, TValue> Empty { get; } = new([]);

    /// <summary>Builds a result from per-partition record lists; the enumeration order follows <paramref name="partitions"/>.</summary>
    public ConsumerRecords(IEnumerable<KeyValuePair<TopicPartition, IReadOnlyList<ConsumerRecord<TKey, TValue>>>> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        _byPartition = [];
        _order = [];
        foreach (var (partition, records) in partitions)
        {
            if (records.Count == 0) continue;
            if (!_byPartition.TryAdd(partition, records))
                throw new ArgumentException($"Partition {partition} is listed twice.", nameof(partitions));
            _order.Add(partition);
            Count += records.Count;
        }
    }

    /// <summary>The partitions that have records in this result.</summary>
    public IReadOnlyCollection<TopicPartition> Partitions => _order;

    /// <summary>The number of records in this result, over all partitions.</summary>
    public int Count { get; }

    /// <summary>True when the poll returned no record.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The records of one partition, in offset order; empty when it has none here.</summary>
    public IReadOnlyList<ConsumerRecord<TKey, TValue>> RecordsFor(TopicPartition partition) =>
        _byPartition.TryGetValue(partition, out var records) ? records : None;

    /// <summary>Every record, partition by partition (in <see cref="Partitions"/> order), each in offset order.</summary>
    public IEnumerator<ConsumerRecord<TKey, TValue>> GetEnumerator()
    {
        foreach (var partition in _order)
        {
            foreach (var record in _byPartition[partition])
                yield return record;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
