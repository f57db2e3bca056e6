using System.Collections;
using System.Reflection;
using TypedKafka.Protocol.CodeGen;
using TypedKafka.Protocol.Tests.Messages;
using Xunit.Abstractions;

namespace TypedKafka.Protocol.Tests.Fuzz;

/// <summary>
/// The worst case for allocation per input byte: top-level arrays holding thousands of default
/// (smallest-encoding) elements. Every decoder must stay within a small multiple of its input.
/// </summary>
public class DenseInputAllocationTests(ITestOutputHelper output)
{
    private const int Elements = 2000;
    private const double MaxBytesAllocatedPerInputByte = 48;

    [Theory]
    [MemberData(nameof(MessageCatalog.MessageVersions), MemberType = typeof(MessageCatalog))]
    public void ManyMinimalElementsStayWithinASmallMultipleOfTheInput(string name, short version)
    {
        var (spec, type) = MessageCatalog.Get(name);
        var message = Activator.CreateInstance(type)!;
        bool any = false;
        foreach (var field in spec.Fields.Where(f => f.Type.Kind == TypeKind.Array && f.Versions.Contains(version)))
        {
            var property = type.GetProperty(field.Name, BindingFlags.Public | BindingFlags.Instance)!;
            var listType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var list = (IList)Activator.CreateInstance(listType)!;
            var elementType = listType.GetGenericArguments()[0];
            for (int i = 0; i < Elements; i++) list.Add(elementType == typeof(string) ? "" : Activator.CreateInstance(elementType)!);
            property.SetValue(message, list);
            any = true;
        }
        if (!any) return;
        byte[] encoded;
        try
        {
            encoded = MessageCatalog.Encode((IKafkaMessage)message, version);
        }
        catch (UnsupportedVersionException)
        {
            return; // a default element is not writable at this version (null in a non-nullable field)
        }
        var decode = MessageCatalog.Decoder(type);
        decode(encoded, version);
        long before = GC.GetAllocatedBytesForCurrentThread();
        decode(encoded, version);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        double ratio = (double)allocated / encoded.Length;
        output.WriteLine($"{name} v{version}: {encoded.Length} bytes in, {allocated} allocated ({ratio:F1}x)");
        Assert.True(ratio <= MaxBytesAllocatedPerInputByte, $"{name} v{version} allocated {ratio:F1} bytes per input byte");
    }
}
