namespace TypedKafka.Connections;

/// <summary>
/// Connections that have been replaced (a SASL session near its end, KIP-368) and only finish what they carry: each is
/// closed by <see cref="BrokerConnection.RetireAsync"/> once answered, and all that remain are closed with their owner
/// (<see cref="DisposeAsync"/>). Filled by <see cref="KeptConnection"/>, for the pool and the group coordinator's channel.
/// </summary>
/// <remarks>Thread-safe; the set's lock is never held across an await.</remarks>
internal sealed class RetiringConnections : IAsyncDisposable
{
    private readonly HashSet<BrokerConnection> _connections = [];

    /// <summary>Lets <paramref name="connection"/> finish its requests, then closes it (after <paramref name="limit"/>
    /// at the latest).</summary>
    public void Retire(BrokerConnection connection, TimeSpan limit)
    {
        lock (_connections) _connections.Add(connection);
        _ = RetireAsync(connection, limit);
    }

    private async Task RetireAsync(BrokerConnection connection, TimeSpan limit)
    {
        await connection.RetireAsync(limit).ConfigureAwait(false);
        lock (_connections) _connections.Remove(connection);
    }

    /// <summary>Closes every connection still retiring.</summary>
    public async ValueTask DisposeAsync()
    {
        BrokerConnection[] remaining;
        lock (_connections)
        {
            remaining = [.. _connections];
            _connections.Clear();
        }
        foreach (var connection in remaining) await connection.DisposeAsync().ConfigureAwait(false);
    }
}
