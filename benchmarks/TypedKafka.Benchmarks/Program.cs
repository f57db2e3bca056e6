using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/TypedKafka.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
