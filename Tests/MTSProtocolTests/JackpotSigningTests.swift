import Testing

@testable import MTSProtocol

@Suite("Jackpot signing and canonical body")
struct JackpotSigningTests {
    @Test("the documentation's test vector")
    func testVector() {
        let body =
            #"{"operator":"site","token":"UnIqUe-ToKeN","price":5000,"currency":"KES","atag":"affiliate-1","source":"mobile","type":"superbet","event":100001,"bets":[101,102,103,104,105,106]}"#
        let signature = JackpotSignature.sign(
            secret: "12345ABCDE", timestamp: 1_706_090_303, body: Array(body.utf8))
        #expect(signature == "f99aee9f77eef1ee8b64c78e7f8612e3234f03cce5fecdebd7ea27f2b9081423")
        #expect(
            JackpotSignature.verify(
                signature: signature, secret: "12345ABCDE", timestamp: 1_706_090_303, body: Array(body.utf8)))
        #expect(
            !JackpotSignature.verify(
                signature: signature, secret: "12345ABCDF", timestamp: 1_706_090_303, body: Array(body.utf8)))
    }

    @Test("fields out of order and whitespace: the documented order, compact, numbers as written")
    func canonicalBody() throws {
        let message = """
            {
              "bonus_prizes" : [ 500000, 100000 ],
              "events": [ { "odds": 2.50, "bet": 1, "id": 51234 }, {"bet":2,"id":51235,"odds":3.4} ],
              "type": "jackpot", "source": "mobile",
              "odds_diff": 0.050, "currency": "KES", "price": 3500,
              "rtag": "r-1",
              "token": "tok \\"quoted\\"", "operator": "demo-operator",
              "betcard_code": "JP-2024-01", "prize": 100000000, "extra": true
            }
            """
        let request = try #require(JackpotTicketRequest.decode(Array(message.utf8)).value)
        let expected =
            #"{"operator":"demo-operator","token":"tok \"quoted\"","psp":null,"price":3500,"currency":"KES","atag":null,"rtag":"r-1","source":"mobile","type":"jackpot","odds_diff":0.050,"events":[{"id":51234,"bet":1,"odds":2.50},{"id":51235,"bet":2,"odds":3.4}],"betcard_code":"JP-2024-01","prize":100000000,"bonus_prizes":[500000,100000]}"#
        #expect(String(decoding: request.canonicalBody, as: UTF8.self) == expected)
    }

    @Test("optional prize and bonus prizes are left out when absent")
    func optionalMembersLeftOut() throws {
        let message =
            #"{"operator":"o","token":"t","price":1,"currency":"KES","source":"sms","type":"jackpot","odds_diff":0,"events":[{"id":1,"bet":1,"odds":1.5}],"betcard_code":"B"}"#
        let request = try #require(JackpotTicketRequest.decode(Array(message.utf8)).value)
        let expected =
            #"{"operator":"o","token":"t","psp":null,"price":1,"currency":"KES","atag":null,"rtag":null,"source":"sms","type":"jackpot","odds_diff":0,"events":[{"id":1,"bet":1,"odds":1.5}],"betcard_code":"B"}"#
        #expect(String(decoding: request.canonicalBody, as: UTF8.self) == expected)
    }
}
