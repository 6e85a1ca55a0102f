using FileVault.Core.Media;

namespace FileVault.Tests.Media;

/// <summary>The decode slots: a request waiting for its thumbnail goes before every queued background decode.</summary>
public sealed class GenerationGateTests
{
    [Fact]
    public void A_freed_slot_goes_to_a_waiting_request_before_background_work_queued_earlier()
    {
        var gate = new GenerationGate(1);
        var running = gate.Enter(background: true);
        var queuedFirst = gate.Enter(background: true);
        var request = gate.Enter(background: false);

        Assert.True(running.Entered.IsCompleted);
        Assert.False(queuedFirst.Entered.IsCompleted);
        Assert.False(request.Entered.IsCompleted);

        running.Dispose();
        Assert.True(request.Entered.IsCompleted);
        Assert.False(queuedFirst.Entered.IsCompleted);

        request.Dispose();
        Assert.True(queuedFirst.Entered.IsCompleted);
        queuedFirst.Dispose();
        Assert.True(gate.Enter(background: true).Entered.IsCompleted);
    }

    [Fact]
    public void Background_work_does_not_take_a_free_slot_while_a_request_waits_and_a_promoted_ticket_moves_to_the_requests_line()
    {
        var gate = new GenerationGate(1);
        var running = gate.Enter(background: false);
        var background = gate.Enter(background: true);
        var otherBackground = gate.Enter(background: true);
        // A request joined the flight of the second background ticket.
        otherBackground.Promote();

        running.Dispose();

        Assert.True(otherBackground.Entered.IsCompleted);
        Assert.False(background.Entered.IsCompleted);
        otherBackground.Dispose();
        Assert.True(background.Entered.IsCompleted);
    }

    [Fact]
    public void A_ticket_given_up_before_its_turn_frees_nothing_it_never_held()
    {
        var gate = new GenerationGate(1);
        var running = gate.Enter(background: false);
        var abandoned = gate.Enter(background: false);
        abandoned.Dispose();
        var next = gate.Enter(background: false);

        Assert.False(next.Entered.IsCompleted);
        running.Dispose();
        Assert.True(next.Entered.IsCompleted);
        Assert.False(gate.Enter(background: false).Entered.IsCompleted);
    }
}
