@testable import Database
import Testing

/// The retry budget's arithmetic, with instants made up (no clock, no database).
@Suite struct RetryBudgetTests {
    let start = ContinuousClock.now

    @Test func startsFullAndRefusesOnceSpent() {
        var balance = RetryBudgetBalance(RetryBudget(ratio: 0, minimumPerSecond: 0, capacity: 3), now: start)
        #expect((0..<3).map { _ in balance.spend(now: start) } == [true, true, true])
        #expect(balance.spend(now: start) == false)
        #expect(balance.tokens == 0)  // a refusal takes nothing
    }

    @Test func transactionsBegunEarnTheirRatio() {
        var balance = RetryBudgetBalance(RetryBudget(ratio: 0.2, minimumPerSecond: 0, capacity: 10), now: start)
        while balance.spend(now: start) {}
        for _ in 0..<4 { balance.began(now: start) }
        #expect(balance.spend(now: start) == false)  // 0.8 of a retry
        balance.began(now: start)
        #expect(balance.spend(now: start) == true)  // five begun: one retry
        #expect(balance.spend(now: start) == false)
    }

    @Test func theMinimumRefillsWithTimeUpToCapacity() {
        var balance = RetryBudgetBalance(RetryBudget(ratio: 0, minimumPerSecond: 10, capacity: 5), now: start)
        while balance.spend(now: start) {}
        #expect(balance.spend(now: start + .milliseconds(50)) == false)  // half a retry
        #expect(balance.spend(now: start + .milliseconds(100)) == true)
        #expect(balance.spend(now: start + .milliseconds(100)) == false)
        // A long quiet spell fills it to capacity, no further.
        var spent = 0
        while balance.spend(now: start + .seconds(60)) { spent += 1 }
        #expect(spent == 5)
    }

    @Test func depositsStopAtCapacity() {
        var balance = RetryBudgetBalance(RetryBudget(ratio: 1, minimumPerSecond: 0, capacity: 2), now: start)
        for _ in 0..<100 { balance.began(now: start) }
        #expect(balance.tokens == 2)
    }
}
