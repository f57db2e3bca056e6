namespace TypedKafka;

public sealed partial class KafkaConsumer<TKey, TValue>
{
    // Group management (issue 5) plugs in here; until then the consumer runs in assign mode only.
    private static TimeSpan GroupPollInterval => TimeSpan.FromSeconds(1);

    private bool HasSubscription => false;

    private static void ValidateGroupOptions(ConsumerOptions options) => _ = options;

    private void InitializeGroup()
    {
    }

    private void Subscribe(IEnumerable<string> topics) => throw new InvalidOperationException($"Subscribing to {string.Join(", ", topics)} needs group support.");

    private ValueTask PollGroupAsync(TimeSpan timeout, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    private ValueTask CloseGroupAsync(bool autoCommit, TimeSpan timeout) => ValueTask.CompletedTask;
}
