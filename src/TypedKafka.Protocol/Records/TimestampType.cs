// The one TimestampType (issue 12): the record decoder produces it and KafkaConsumer hands it out, so it lives in the
// protocol assembly under the name users see, TypedKafka.TimestampType (the protocol code finds it through its
// enclosing namespace).
namespace TypedKafka;

/// <summary>What a record's timestamp means: bit 3 of the batch attributes (magic 1 and 2).</summary>
public enum TimestampType
{
    /// <summary>The record carries no timestamp (message format v0); its timestamp is -1.</summary>
    NotAvailable = -1,

    /// <summary>Set by the producer when the record was created.</summary>
    CreateTime = 0,

    /// <summary>Set by the broker when it appended the batch (topic config <c>message.timestamp.type=LogAppendTime</c>):
    /// every record of the batch has the batch's max timestamp.</summary>
    LogAppendTime = 1,
}
