using TypedKafkaWorker;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddOrderWorker(); // the Kafka settings come from the "TypedKafka" section of appsettings.json
await builder.Build().RunAsync();
