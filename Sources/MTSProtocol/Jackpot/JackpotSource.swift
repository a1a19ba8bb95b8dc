/// Where a jackpot ticket was placed from (`source`).
public enum JackpotSource: String, Sendable, Hashable, CaseIterable {
    case desktop, mobile, android, iphone, ussd, sms, telegram
}
