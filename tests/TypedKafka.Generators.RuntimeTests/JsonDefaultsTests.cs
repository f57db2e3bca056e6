using System.Text;
using System.Text.Json;
using static TypedKafka.RuntimeTests.TestSupport;

namespace TypedKafka.RuntimeTests;

/// <summary>
/// Issue 14: a member absent from the document keeps the value the C# type declares (constructor parameter default,
/// property initializer), as System.Text.Json does. Every subset of members is tried against System.Text.Json's
/// reflection-based serializer, the reference for declared defaults: its source-generated metadata agrees on constructor
/// defaults but sets every init-only property in the object initializer, losing initializers (measured with .NET 10; see
/// <see cref="System_Text_Json_source_generation_loses_init_initializers_which_is_why_reflection_is_the_reference"/>).
/// </summary>
public class JsonDefaultsTests
{
    private static readonly JsonSerializerOptions ReflectionOptions = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    private static readonly (string Name, string Value)[] OrderMembers =
    [
        ("id", "\"o-1\""), ("channel", "\"app\""), ("priority", "9"), ("state", "\"Suspended\""), ("ratio", "null"),
        ("fee", "0"), ("grade", "\"z\""), ("note", "\"n\""), ("big", "1"), ("access", "\"None\""),
    ];

    private static readonly (string Name, string Value)[] AccountMembers =
    [
        ("active", "false"), ("region", "\"us\""), ("retries", "0"), ("owner", "\"ann\""), ("tags", "null"),
        ("origin", "{\"x\":1}"), ("limits", "{\"min\":5}"),
    ];

    [Fact]
    public void Absent_constructor_parameters_get_their_declared_defaults_for_every_subset_of_members()
    {
        int compared = Compare<DefaultsOrder>("defaults-orders", OrderMembers, ReferenceJsonContext.Default.DefaultsOrder);
        Assert.Equal(1 << OrderMembers.Length, compared);
    }

    [Fact]
    public void Absent_init_and_settable_properties_keep_their_initializers_for_every_subset_of_members()
    {
        int compared = Compare<DefaultsAccount>("defaults-accounts", AccountMembers, ReferenceJsonContext.Default.DefaultsAccount);
        Assert.Equal(1 << AccountMembers.Length, compared);
    }

    [Fact]
    public void The_issue_examples_keep_web_and_true()
    {
        Assert.Equal("web", Json<DefaultsOrder>("defaults-orders", """{"id":"o-1"}""").Channel);
        var account = Json<DefaultsAccount>("defaults-accounts", """{"owner":"ann"}""");
        Assert.True(account.Active);
        Assert.Equal(3, account.Retries);
        Assert.Equal(["new"], account.Tags!);
        Assert.Equal(100, account.Limits.Max);
        Assert.Equal(4, account.Origin.X);
    }

    [Fact]
    public void Constructor_defaults_agree_between_System_Text_Json_modes()
    {
        var generated = JsonSerializer.Deserialize("""{"id":"x"}""", ReferenceJsonContext.Default.DefaultsOrder)!;
        var reflection = JsonSerializer.Deserialize<DefaultsOrder>("""{"id":"x"}""", ReflectionOptions)!;
        Assert.Equal(reflection, generated);
        Assert.Equal(reflection, Json<DefaultsOrder>("defaults-orders", """{"id":"x"}"""));
    }

    [Fact]
    public void System_Text_Json_source_generation_loses_init_initializers_which_is_why_reflection_is_the_reference()
    {
        Assert.False(JsonSerializer.Deserialize("""{"owner":"a"}""", ReferenceJsonContext.Default.DefaultsAccount)!.Active);
        Assert.True(JsonSerializer.Deserialize<DefaultsAccount>("""{"owner":"a"}""", ReflectionOptions)!.Active);
    }

    private static int Compare<T>(string topic, (string Name, string Value)[] members, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> reference)
    {
        var ours = Deserializer<T>(topic);
        var context = new SerializationContext(topic, 0, false, Array.Empty<Header>());
        int compared = 0;
        for (int mask = 0; mask < 1 << members.Length; mask++)
        {
            string json = "{" + string.Join(",", members.Where((_, i) => (mask & (1 << i)) != 0).Select(m => $"\"{m.Name}\":{m.Value}")) + "}";
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            string mine = Outcome(() => ours.Deserialize(bytes, false, context), reference);
            string reflection = Outcome(() => JsonSerializer.Deserialize<T>(bytes, ReflectionOptions)!, reference);
            Assert.True(mine == reflection, $"{json}: generated reader {mine}, System.Text.Json {reflection}");
            compared++;
        }

        return compared;
    }

    private static string Outcome<T>(Func<T> read, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        try
        {
            return JsonSerializer.Serialize(read(), info);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or FormatException or RecordDeserializationException)
        {
            return "failed";
        }
    }
}
