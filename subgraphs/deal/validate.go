package deal

import (
	"strings"

	"github.com/oklog/ulid/v2"
	"github.com/shopspring/decimal"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// maxValue is the largest value numeric(15,2) holds.
var maxValue = decimal.New(1e15-1, -2)

// currencies are the active ISO 4217 codes (2024 list, funds and metals
// codes left out): a deal's currency must be one of them.
var currencies = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`
		AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
		CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
		GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
		LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
		NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
		SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VED VND VUV WST XAF
		XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL`) {
		m[c] = true
	}
	return m
}()

// currency returns the upper-cased code if it is an ISO 4217 currency.
func currency(field, c string) (string, error) {
	c = strings.ToUpper(strings.TrimSpace(c))
	if !currencies[c] {
		return "", apperr.Field(field, "%q is not an ISO 4217 currency code", c)
	}
	return c, nil
}

// amount checks a deal value: at least 0, at most what numeric(15,2) holds,
// rounded to cents (half away from zero).
func amount(field string, v decimal.Decimal) (decimal.Decimal, error) {
	if v.IsNegative() || v.GreaterThan(maxValue) {
		return decimal.Decimal{}, apperr.Field(field, "%s must be between 0 and %s", field, maxValue.StringFixed(2))
	}
	return v.Round(2), nil
}

// probability checks a percentage.
func probability(field string, p int) (int, error) {
	if p < 0 || p > 100 {
		return 0, apperr.Field(field, "%s must be between 0 and 100", field)
	}
	return p, nil
}

// isID reports whether s is a ULID, the shape of every id of the product.
func isID(s string) bool {
	_, err := ulid.ParseStrict(s)
	return err == nil
}

// id checks the shape of an id naming a record (of this domain or another).
func id(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if !isID(s) {
		return "", apperr.Field(field, "%q is not an id", s)
	}
	return strings.ToUpper(s), nil
}

// optionalID is id for an optional field.
func optionalID(field string, s *string) (*string, error) {
	if s == nil {
		return nil, nil
	}
	v, err := id(field, *s)
	return &v, err
}
