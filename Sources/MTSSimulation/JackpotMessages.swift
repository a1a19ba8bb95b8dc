/// Jackpot ticket requests and tickets shaped as in seed 003.
public enum JackpotMessages {
    /// A request whose `token` is `token`; its fields deliberately not in the signing order.
    /// For ``JackpotFate/invalid`` the price is a string.
    public static func request(token: String, fate: JackpotFate) -> String {
        let price = fate == .invalid ? #""35.00""# : "3500"
        return """
            {"type":"jackpot","events":[{"odds":2.50,"bet":1,"id":51234},{"id":51235,"bet":2,"odds":3.4}],\
            "token":"\(token)","operator":"demo-operator","price":\(price),"currency":"KES","source":"mobile",\
            "odds_diff":0.05,"betcard_code":"JP-2024-01","prize":100000000,"bonus_prizes":[500000,100000]}
            """
    }

    /// A valid ticket with `id`.
    public static func ticket(id: String) -> String {
        """
        {"id":"\(id)","code":"JP8K2M4Q","price":3500,"stake":3045,"currency":"KES","gross_payout":0,\
        "net_payout":0,"wht_amount":0,"wht":20.0,"ext_amount":455,"ext":12.5,"ext_type":"inclusive",\
        "status":"open","result":"pending","approved":true,"source":"mobile","type":"jackpot",\
        "atag":null,"user_id":"pam-774411","created":"2024-01-28T14:33:01.000000",\
        "operator_time_created":"2024-01-28T17:33:01.000000","updated":"2024-01-28T14:33:01.000000",\
        "operator_time_updated":"2024-01-28T17:33:01.000000","odds":13.89,"betcard_code":"JP-2024-01",\
        "prize":100000000,"bonus_prizes":[500000,100000]}
        """
    }
}
