using TypedKafka.Connections;
using TypedKafka.Protocol;
using TypedKafka.Testing;
using TypedKafka.Tests.RealTraffic;
namespace TypedKafka.Tests.Connections;
public sealed class DebugDump(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Dump()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        var settings = ConnectionSettings.From(new ConsumerOptions { ApiVersion = new Version(2, 8) });
        await using var c = await BrokerConnection.ConnectAsync(PartitionReader.Endpoint(cluster.Brokers[1]), settings, default);
        foreach (short v in new short[] { 4, 3, 2 })
        {
            var req = new ApiVersionsRequest();
            if (v >= 3) { req.ClientSoftwareName = "x"; req.ClientSoftwareVersion = "1"; }
            var f = await c.SendAsync(req, v, false, TimeSpan.FromSeconds(5), default);
            output.WriteLine($"v{v}: " + Convert.ToHexString(f.Body.Span[..Math.Min(64, f.Body.Length)].ToArray()) + $" len {f.Body.Length}");
            f.Release();
        }
    }
}
