using TypedKafka.Groups.Assignors;
using static TypedKafka.Tests.Groups.Assignors.AssignorTestKit;

namespace TypedKafka.Tests.Groups.Assignors;

/// <summary>
/// The sticky assignors' user data against bytes written from the Java schemas: StickyAssignorUserData v1 is
/// previous_assignment [topic STRING, partitions [INT32]] then generation INT32 (v0 without the generation), with no
/// version prefix; cooperative-sticky's is a bare INT32 generation.
/// </summary>
public sealed class StickyUserDataTests
{
    [Fact]
    public void Sticky_user_data_v1_matches_the_schema()
    {
        byte[] expected = Of(Arr(2), Str("a"), Arr(2), I32(1), I32(3), Str("b"), Arr(1), I32(0), I32(42));
        Assert.Equal(expected, StickyUserData.Encode([Tp("b", 0), Tp("a", 3), Tp("a", 1)], 42));
    }

    [Fact]
    public void Sticky_user_data_v1_decodes()
    {
        byte[] bytes = Of(Arr(1), Str("orders"), Arr(3), I32(0), I32(4), I32(8), I32(17));
        Assert.True(StickyUserData.TryDecode(bytes, out var partitions, out int generation));
        Assert.Equal([Tp("orders", 0), Tp("orders", 4), Tp("orders", 8)], partitions);
        Assert.Equal(17, generation);
    }

    [Fact]
    public void Sticky_user_data_v0_has_no_generation()
    {
        byte[] bytes = Of(Arr(1), Str("t"), Arr(1), I32(2));
        Assert.True(StickyUserData.TryDecode(bytes, out var partitions, out int generation));
        Assert.Equal([Tp("t", 2)], partitions);
        Assert.Equal(MemberSubscription.NoGeneration, generation);
    }

    [Fact]
    public void Bytes_after_the_generation_are_ignored()
    {
        Assert.True(StickyUserData.TryDecode(Of(Arr(0), I32(5), I32(123)), out var partitions, out int generation));
        Assert.Empty(partitions);
        Assert.Equal(5, generation);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 1 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { 0, 0, 0, 1, 0xFF, 0xFF, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 2, 0, 0, 0, 0 })]
    public void Garbage_is_not_sticky_user_data(byte[] bytes)
    {
        Assert.False(StickyUserData.TryDecode(bytes, out var partitions, out int generation));
        Assert.Empty(partitions);
        Assert.Equal(MemberSubscription.NoGeneration, generation);
    }

    [Fact]
    public void Cooperative_user_data_is_the_bare_generation()
    {
        Assert.Equal(I32(9), StickyUserData.EncodeGeneration(9));
        Assert.Equal(I32(-1), StickyUserData.EncodeGeneration(-1));
        Assert.Equal(9, StickyUserData.DecodeGeneration(I32(9)));
        Assert.Equal(0, StickyUserData.DecodeGeneration(I32(0)));
    }

    [Fact]
    public void Cooperative_generation_is_also_read_from_sticky_format_data()
    {
        Assert.Equal(6, StickyUserData.DecodeGeneration(StickyUserData.Encode([Tp("t", 0)], 6)));
        Assert.Equal(MemberSubscription.NoGeneration, StickyUserData.DecodeGeneration(null));
        Assert.Equal(MemberSubscription.NoGeneration, StickyUserData.DecodeGeneration(new byte[] { 1, 2 }));
        // Unparseable longer data: Java reads its leading INT32.
        Assert.Equal(3, StickyUserData.DecodeGeneration(Of(I32(3), 0xFF)));
    }

    [Fact]
    public void Assignors_produce_the_user_data_Java_members_send()
    {
        var sticky = new StickyAssignor();
        Assert.Null(sticky.SubscriptionUserData(null, -1));
        Assert.Equal(Of(Arr(1), Str("t"), Arr(1), I32(1), I32(4)), sticky.SubscriptionUserData([Tp("t", 1)], 4)!.Value.ToArray());
        Assert.Equal(Of(Arr(0), I32(4)), sticky.SubscriptionUserData([], 4)!.Value.ToArray());

        var cooperative = new CooperativeStickyAssignor();
        Assert.Equal(I32(-1), cooperative.SubscriptionUserData(null, -1)!.Value.ToArray());
        Assert.Equal(I32(12), cooperative.SubscriptionUserData([Tp("t", 1)], 12)!.Value.ToArray());

        Assert.Null(new RangeAssignor().SubscriptionUserData([Tp("t", 1)], 3));
        Assert.Null(new RoundRobinAssignor().SubscriptionUserData([Tp("t", 1)], 3));
    }
}
