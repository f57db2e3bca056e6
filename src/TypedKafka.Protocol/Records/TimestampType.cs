namespace TypedKafka.Protocol;

/// <summary>What a record's timestamp means: bit 3 of the batch attributes (magic 1 and 2).</summary>
public enum TimestampType : sbyte
{
    /// <summary>Magic-0 messages carry no timestamp; <see cref="Record.Timestamp"/> is -1.</summary>
    NotAvailable = -1,

    /// <summary>Set by the producer.</summary>
    CreateTime = 0,

    /// <summary>Set by the broker when it appended the batch (topic config <c>message.timestamp.type=LogAppendTime</c>):
    /// every record of the batch has the batch's max timestamp.</summary>
    LogAppendTime = 1,
}
