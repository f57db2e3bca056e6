using System.Diagnostics;

namespace TypedKafka.Testing;

/// <summary>Awaits a condition with a deadline, for tests that must not sleep for a fixed time.</summary>
public static class Eventually
{
    /// <summary>Re-evaluates <paramref name="condition"/> until it holds; throws a <see cref="TimeoutException"/>
    /// naming <paramref name="what"/> when <paramref name="timeout"/> passes first.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(5);
        Exception? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await condition().ConfigureAwait(false)) return;
                last = null;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }
            if (clock.Elapsed >= timeout)
                throw new TimeoutException($"Still waiting after {timeout.TotalSeconds:0.#} s for: {what}" + (last is null ? "." : $" (last attempt threw {last.GetType().Name}: {last.Message})"), last);
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            if (pause < TimeSpan.FromMilliseconds(100)) pause *= 2;
        }
    }

    /// <inheritdoc cref="TrueAsync(Func{Task{bool}}, TimeSpan, string, CancellationToken)"/>
    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return TrueAsync(() => Task.FromResult(condition()), timeout, what, cancellationToken);
    }
}
