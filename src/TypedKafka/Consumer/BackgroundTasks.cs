using System.Diagnostics;

namespace TypedKafka.Consumer;

/// <summary>The consumer's background work: the wake-up of its loop, the tasks that loop starts (fetches, position
/// lookups, metadata refreshes) so that closing can wait for them, and the token that closing cancels.</summary>
internal sealed class BackgroundTasks
{
    private readonly HashSet<Task> _running = [];
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Cancelled when the consumer closes.</summary>
    public CancellationTokenSource Closing { get; } = new();

    /// <summary>Wakes the loop (at most one pending wake-up).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    /// <summary>Sleeps until woken or <paramref name="wait"/> passes.</summary>
    public Task<bool> WaitForWakeAsync(TimeSpan wait, CancellationToken cancellationToken) => _wake.WaitAsync(wait, cancellationToken);

    public void Track(Task task)
    {
        lock (_running) _running.Add(task);
        task.ContinueWith(t => { lock (_running) _running.Remove(t); }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Waits for every tracked task to stop (each logs its own failure).</summary>
    public async Task WaitAllAsync()
    {
        Task[] running;
        lock (_running) running = [.. _running];
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch
        {
            // Each task logs its own failure; closing only waits for them to stop.
        }
    }

    public static long Now() => Stopwatch.GetTimestamp();

    public static long After(TimeSpan delay) => Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);

    /// <summary>How long the loop may sleep until <paramref name="due"/> (Stopwatch ticks; long.MaxValue = nothing
    /// due): at least 1 ms, at most 1 s, so that metadata age and new work are still noticed.</summary>
    public static TimeSpan UntilDue(long due, long now) =>
        due == long.MaxValue
            ? TimeSpan.FromSeconds(1)
            : TimeSpan.FromSeconds(Math.Clamp((due - now) / (double)Stopwatch.Frequency, 0.001, 1));
}
