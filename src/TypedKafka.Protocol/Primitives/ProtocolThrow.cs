using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace TypedKafka.Protocol;

/// <summary>
/// Throw helpers kept out of line so the reader and writer fast paths stay small enough to inline.
/// </summary>
internal static class ProtocolThrow
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Malformed(string message, short apiKey, short apiVersion, long position) =>
        throw new KafkaProtocolException(message, apiKey, apiVersion, position);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Truncated(int needed, int remaining, short apiKey, short apiVersion, long position) =>
        throw new KafkaProtocolException(
            $"Unexpected end of data: needed {needed} byte(s) but only {remaining} remain", apiKey, apiVersion, position);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void LengthExceedsRemaining(string what, long length, int remaining, short apiKey, short apiVersion, long position) =>
        throw new KafkaProtocolException(
            $"{what} length {length} exceeds the {remaining} byte(s) remaining", apiKey, apiVersion, position);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void UnexpectedNull(string what, short apiKey, short apiVersion, long position) =>
        throw new KafkaProtocolException($"Non-nullable {what} was encoded as null", apiKey, apiVersion, position);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void DestinationTooSmall(int needed, int remaining) =>
        throw new ArgumentException(
            $"The destination is too small: writing needs {needed} more byte(s) but only {remaining} remain. " +
            "This means ComputeSize and Write disagree.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void StringTooLong(int byteCount) =>
        throw new ArgumentException($"A classic (int16-length) Kafka string may hold at most {short.MaxValue} UTF-8 bytes, not {byteCount}.");
}
