using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace TypedKafka.Hosting;

/// <summary>
/// Binds the <c>TypedKafka</c> configuration section without reflection (safe for trimming and native AOT): the
/// hosting settings by name, and the <c>Consumer</c> subsection through <see cref="ConsumerOptions.ApplySettings"/>,
/// which accepts property names, Java names (<c>fetch.max.wait.ms</c>) and kafka-python names.
/// </summary>
internal static class TypedKafkaConfiguration
{
    /// <exception cref="ArgumentException">A key is unknown or a value cannot be parsed; the message names the key.</exception>
    public static void Bind(IConfigurationSection section, TypedKafkaOptions options)
    {
        foreach (var child in section.GetChildren())
        {
            var key = child.Key;
            var path = $"{section.Path}:{key}";
            switch (key.ToLowerInvariant())
            {
                case "consumer":
                    options.Consumer.ApplySettings(Flatten(child));
                    break;
                case "bootstrapservers":
                    options.BootstrapServers = Value(child, path);
                    break;
                case "groupid":
                    options.GroupId = Value(child, path);
                    break;
                case "commitinterval":
                    options.CommitInterval = Duration(child, path);
                    break;
                case "handlerretrybackoff":
                    options.HandlerRetryBackoff = Duration(child, path);
                    break;
                case "maxhandlerretrybackoff":
                    options.MaxHandlerRetryBackoff = Duration(child, path);
                    break;
                case "shutdowntimeout":
                    options.ShutdownTimeout = Duration(child, path);
                    break;
                case "maxinflightrecords":
                    options.MaxInFlightRecords = int.TryParse(Value(child, path), NumberStyles.Integer, CultureInfo.InvariantCulture, out var max)
                        ? max
                        : throw new ArgumentException($"Setting '{path}' is not an integer: '{child.Value}'.", path);
                    break;
                case "onfatalerror":
                    options.OnFatalError = Enum.TryParse<FatalErrorAction>(Value(child, path), ignoreCase: true, out var action) && Enum.IsDefined(action)
                        ? action
                        : throw new ArgumentException($"Setting '{path}' is '{child.Value}'; expected StopHost or Restart.", path);
                    break;
                case "restartbackoff":
                    options.RestartBackoff = Duration(child, path);
                    break;
                case "groups":
                    // A list (Groups:0, Groups:1, ...) or one comma-separated value.
                    var items = child.GetChildren().Select(c => c.Value ?? string.Empty).ToList();
                    var groups = items.Count > 0 ? items : Value(child, path).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
                    options.Groups = groups;
                    break;
                case "schemaregistry":
                    options.SchemaRegistry ??= new TypedKafka.SchemaRegistry.SchemaRegistryOptions();
                    BindSchemaRegistry(child, options.SchemaRegistry);
                    break;
                default:
                    throw new ArgumentException($"Unknown setting '{path}'. Consumer settings go under '{section.Path}:Consumer'.", path);
            }
        }
    }

    private static void BindSchemaRegistry(IConfigurationSection section, TypedKafka.SchemaRegistry.SchemaRegistryOptions options)
    {
        foreach (var child in section.GetChildren())
        {
            var path = $"{section.Path}:{child.Key}";
            switch (child.Key.ToLowerInvariant())
            {
                case "url": options.Url = Value(child, path); break;
                case "basicauthuserinfo": options.BasicAuthUserInfo = Value(child, path); break;
                case "bearertoken": options.BearerToken = Value(child, path); break;
                case "requesttimeout": options.RequestTimeout = Duration(child, path); break;
                case "maxretries": options.MaxRetries = Int(child, path); break;
                case "retrybackoff": options.RetryBackoff = Duration(child, path); break;
                case "maxretrybackoff": options.MaxRetryBackoff = Duration(child, path); break;
                case "maxcachedschemas": options.MaxCachedSchemas = Int(child, path); break;
                case "sslcalocation": options.SslCaLocation = Value(child, path); break;
                case "sslcertificatelocation": options.SslCertificateLocation = Value(child, path); break;
                case "sslkeylocation": options.SslKeyLocation = Value(child, path); break;
                case "sslkeystorepassword": options.SslKeystorePassword = Value(child, path); break;
                case "enablesslcertificateverification":
                    options.EnableSslCertificateVerification = bool.TryParse(Value(child, path), out var verify)
                        ? verify
                        : throw new ArgumentException($"Setting '{path}' is not true or false: '{child.Value}'.", path);
                    break;
                default:
                    throw new ArgumentException($"Unknown setting '{path}'.", path);
            }
        }
    }

    private static int Int(IConfigurationSection child, string path) =>
        int.TryParse(Value(child, path), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"Setting '{path}' is not an integer: '{child.Value}'.", path);

    /// <summary>The subsection's settings as key/value pairs; a list (children 0, 1, ...) becomes a comma-separated value.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Flatten(IConfigurationSection consumer)
    {
        foreach (var setting in consumer.GetChildren())
        {
            var items = setting.GetChildren().ToList();
            var value = items.Count > 0 ? string.Join(",", items.Select(i => i.Value)) : setting.Value ?? string.Empty;
            yield return new(setting.Key, value);
        }
    }

    private static string Value(IConfigurationSection child, string path) =>
        child.Value ?? throw new ArgumentException($"Setting '{path}' has no value.", path);

    private static TimeSpan Duration(IConfigurationSection child, string path) =>
        TimeSpan.TryParse(Value(child, path), CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"Setting '{path}' is not a duration (expected e.g. 00:00:01): '{child.Value}'.", path);
}
