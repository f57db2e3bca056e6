namespace TypedKafka.Protocol;

/// <summary>An inclusive range of versions of one API.</summary>
public readonly record struct ApiVersionRange(short Min, short Max)
{
    public bool Contains(short version) => version >= Min && version <= Max;

    /// <summary>The highest version in both ranges, or null when they do not overlap.</summary>
    public short? HighestCommon(ApiVersionRange other)
    {
        short max = Math.Min(Max, other.Max);
        return max >= Math.Max(Min, other.Min) ? max : null;
    }

    public override string ToString() => $"v{Min}-v{Max}";
}
