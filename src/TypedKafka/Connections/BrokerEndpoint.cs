namespace TypedKafka.Connections;

/// <summary>A broker as the cluster describes it: id (or a negative bootstrap index), host, port and rack.</summary>
internal sealed record BrokerEndpoint(int NodeId, string Host, int Port, string? Rack = null)
{
    public override string ToString() => NodeId >= 0 ? $"broker {NodeId} ({Host}:{Port})" : $"bootstrap server {Host}:{Port}";
}
