using System.Diagnostics;
using TypedKafka.Connections;
using TypedKafka.Protocol;

namespace TypedKafka.Metadata;

/// <summary>
/// Keeps the consumer's view of the cluster: the topics it needs (assigned or subscribed) or all topics, refreshed
/// when older than <see cref="ConsumerOptions.MetadataMaxAge"/>, when someone reports it stale (leader moved, unknown
/// partition, fenced epoch) and on demand. Concurrent refreshes share one request.
/// </summary>
/// <remarks>Thread-safe. <c>_gate</c> guards the fields and is never held across an await.</remarks>
internal sealed class MetadataManager
{
    private readonly ConnectionPool _pool;
    private readonly ConsumerOptions _options;
    private readonly object _gate = new();
    private ClusterMetadata _current = ClusterMetadata.Empty;
    private HashSet<string> _wanted = new(StringComparer.Ordinal);
    private bool _wantAll;
    private bool _stale = true;
    private long _refreshedAt = long.MinValue;
    private Task<ClusterMetadata>? _refreshing;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MetadataManager(ConnectionPool pool, ConsumerOptions options)
    {
        _pool = pool;
        _options = options;
    }

    public ConnectionPool Pool => _pool;

    /// <summary>The latest view (empty before the first refresh).</summary>
    public ClusterMetadata Current
    {
        get { lock (_gate) return _current; }
    }

    /// <summary>Completes when the next refresh lands (so background loops can wait for a new view).</summary>
    public Task Changed
    {
        get { lock (_gate) return _changed.Task; }
    }

    /// <summary>True when a refresh is due: asked for, the view is older than MetadataMaxAge, or a wanted topic is missing.</summary>
    public bool NeedsRefresh
    {
        get
        {
            lock (_gate)
            {
                return _stale
                    || Stopwatch.GetElapsedTime(_refreshedAt) >= _options.MetadataMaxAge
                    || _wanted.Any(t => !_current.Topics.ContainsKey(t));
            }
        }
    }

    /// <summary>The topics the view must cover (assigned partitions' topics, subscribed topics). Adding a topic marks the view stale.</summary>
    public void SetWantedTopics(IEnumerable<string> topics, bool allTopics = false)
    {
        lock (_gate)
        {
            var next = new HashSet<string>(topics, StringComparer.Ordinal);
            if (!next.IsSubsetOf(_wanted) || (allTopics && !_wantAll)) _stale = true;
            _wanted = next;
            _wantAll = allTopics;
        }
    }

    /// <summary>Marks the view stale: the next <see cref="RefreshIfNeededAsync"/> asks the cluster again.</summary>
    public void RequestRefresh()
    {
        lock (_gate) _stale = true;
    }

    /// <summary>Refreshes when <see cref="NeedsRefresh"/>; otherwise returns the current view.</summary>
    public Task<ClusterMetadata> RefreshIfNeededAsync(CancellationToken cancellationToken) =>
        NeedsRefresh ? RefreshAsync(cancellationToken) : Task.FromResult(Current);

    /// <summary>Asks the cluster for the wanted topics (or all topics) now; joins a refresh already under way.</summary>
    public Task<ClusterMetadata> RefreshAsync(CancellationToken cancellationToken)
    {
        Task<ClusterMetadata> refreshing;
        lock (_gate)
        {
            refreshing = _refreshing ??= RunRefreshAsync([.. _wanted], _wantAll);
        }
        return refreshing.WaitAsync(cancellationToken);
    }

    /// <summary>A one-off Metadata request for every topic, not merged into the view's wanted set (for <c>TopicsAsync</c>).</summary>
    public Task<ClusterMetadata> FetchAllTopicsAsync(CancellationToken cancellationToken) => FetchAsync(null, cancellationToken);

    /// <summary>A one-off Metadata request for <paramref name="topics"/>, merged into the view.</summary>
    public Task<ClusterMetadata> FetchTopicsAsync(IReadOnlyCollection<string> topics, CancellationToken cancellationToken) => FetchAsync(topics, cancellationToken);

    /// <summary>A one-off request; its answer becomes the view when it covers what the view covers.</summary>
    private async Task<ClusterMetadata> FetchAsync(IReadOnlyCollection<string>? topics, CancellationToken cancellationToken)
    {
        var allTopics = topics is null;
        var response = await RequestAsync(topics, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            var view = ClusterMetadata.From(response, _current, allTopics);
            if (!allTopics || _wantAll) Publish(view);
            return view;
        }
    }

    private async Task<ClusterMetadata> RunRefreshAsync(IReadOnlyCollection<string> topics, bool allTopics)
    {
        await Task.Yield();
        try
        {
            // An empty wanted set still refreshes the broker list (a Metadata request naming no topics).
            var response = await RequestAsync(allTopics ? null : topics, CancellationToken.None).ConfigureAwait(false);
            lock (_gate)
            {
                var view = ClusterMetadata.From(response, _current, allTopics);
                // Topics no longer wanted drop out of a partial view.
                if (!allTopics && view.Topics.Keys.Any(t => !_wanted.Contains(t)))
                {
                    view = new ClusterMetadata(
                        view.Brokers,
                        view.Topics.Where(t => _wanted.Contains(t.Key)).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal),
                        view.ClusterId,
                        view.Version);
                }
                _stale = false;
                _refreshedAt = Stopwatch.GetTimestamp();
                Publish(view);
                return view;
            }
        }
        finally
        {
            lock (_gate) _refreshing = null;
        }
    }

    private void Publish(ClusterMetadata view)
    {
        _current = new ClusterMetadata(view.Brokers, view.Topics, view.ClusterId, Math.Max(view.Version, _current.Version + 1));
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private async Task<MetadataResponse> RequestAsync(IReadOnlyCollection<string>? topics, CancellationToken cancellationToken)
    {
        var current = Current;
        var candidates = current.Brokers.Count > 0 ? current.Brokers.Values.ToList() : (IReadOnlyList<BrokerEndpoint>)_pool.Bootstrap;
        BrokerConnection connection;
        try
        {
            connection = await _pool.GetAnyAsync(candidates, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaConnectionException) when (!ReferenceEquals(candidates, _pool.Bootstrap))
        {
            // Every known broker is unreachable: fall back to the bootstrap list (it may be a load balancer).
            connection = await _pool.GetAnyAsync(_pool.Bootstrap, cancellationToken).ConfigureAwait(false);
        }

        var version = connection.Versions.Pick(ApiKey.Metadata, broker: connection.Endpoint.ToString());
        var request = new MetadataRequest
        {
            AllowAutoTopicCreation = _options.AllowAutoCreateTopics,
        };
        if (topics is null)
        {
            // v0 has no null: an empty list means all topics there.
            request.Topics = version == 0 ? [] : null;
        }
        else
        {
            if (topics.Count == 0 && version == 0)
            {
                // v0 cannot ask for "no topics"; ask for all (rarely used: only brokers older than 0.10).
                request.Topics = [];
            }
            else
            {
                request.Topics = [.. topics.Select(t => new MetadataRequest.MetadataRequestTopic { Name = t })];
            }
        }

        var response = await connection.RequestAsync<MetadataResponse>(request, version, cancellationToken).ConfigureAwait(false);
        return response;
    }
}
