# Det som skickas med sms och e-post, på organisationens språk. Sms är korta: håll dem så.

exercise-prefix = ÖVNING: { $text }
alert-subject = Beredskap – { $org }
alert-acknowledge-link = Kvittera: { $link }
alert-answer-link = Svara { $options }: { $link }
contact-check-confirm-link = Bekräfta: { $link }
alert-resolved = AVSLUTAT: { $message }
alert-cancelled = ÅTERKALLAT: { $message }
contact-check-message = Beredskap kontrollerar att vi når dig i en kris. Bekräfta med länken att det här når dig.
sms-reply-acknowledge-help = Beredskap: svara valfri text för att kvittera larmet.
sms-reply-options-help = Beredskap: svaret förstods inte. Svara { $options } (eller 1, 2 …).
sms-reply-ambiguous = Beredskap: du har larm från flera organisationer på det här numret, så svaret kunde inte kopplas till något av dem. Svara med länken i larmet.
one-time-code-subject = Engångskod till Beredskap – { $org }
one-time-code = Din engångskod till Beredskap ({ $org }): { $code }. Den gäller i { $minutes } minuter. Har du inte bett om den? Bortse från meddelandet.
enrolment-subject = Aktivera ditt konto i Beredskap – { $org }
enrolment-mail =
    Hej { $name }!

    Du har fått ett konto i Beredskap, { $org }s system för kommunikation och larm när den vanliga IT-miljön inte fungerar.

    Aktivera kontot inom { $hours } timmar:
    { $link }

    Länken fungerar en gång. Väntade du dig inte det här meddelandet kan du bortse från det.
enrolment-sms = Beredskap { $org }: aktivera ditt konto inom { $hours } h: { $link }
checkpoint-subject = Beredskap: kontrollpunkt för journalen – { $org }
checkpoint-mail =
    Det här är en signerad kontrollpunkt för { $org }s journal i Beredskap. Spara meddelandet där det inte kan ändras.

    Om journalen någon gång ifrågasätts: spara texten nedan som en fil och kör
      beredskap journal verify --checkpoint FILEN
    Då syns om databasen fortfarande har allt som fanns när kontrollpunkten signerades.

    { $json }

# Activating a plan by SMS.
sms-activation-done = { $plan } är aktiverad. Händelsen: { $link }
sms-activation-refused = Ingen plan aktiverades: numret, koden eller planens kortnamn stämmer inte. Skriv AKTIVERA, planens kortnamn och din kod.
sms-activation-locked = Ingen plan aktiverades: för många felaktiga försök. Försök igen om { $minutes } minuter.
report-overdue = { $incident }: lägesrapporten är försenad, den skulle ha kommit kl. { $due }.
offline-kit-subject = Beredskap: offline-kit – { $org }
offline-kit-mail = Här är offline-kitet för { $org }: planerna med åtgärdskort, larmnumren, kontaktlistan och läget för tjänsterna, i en fil som öppnas utan nät. Spara den på telefonen. Den innehåller privata nummer: förvara den som känslig information.

# A press release's template: the communicator edits it before publishing.
press-title = { $org }: { $what }
press-exercise = ÖVNING – det här pressmeddelandet är en del av en övning.
press-dateline = { $org }, { $date }
press-what = [Beskriv vad som har hänt, vad det betyder för invånarna och vad { $org } gör.]
press-affects = Berörda tjänster: { $services }
press-reach = Så når du oss medan störningen pågår:
press-more = Aktuell information: { $url }
press-media = Kontakt för media: { $name }

# Prenumerationer på statussidans meddelanden (till invånare och partner).
subscription-confirm-subject = Bekräfta din prenumeration – { $org }
subscription-confirm = Bekräfta att du vill få driftmeddelanden från { $org }: { $link } Bad du inte om det? Gör ingenting, så glömmer vi adressen inom två dygn.
notice-mail-subject = { $org }: { $title } – { $phase }
notice-mail-heading = { $title }
    { $phase } · { $when }
notice-mail-more = Aktuell information: { $url }
notice-mail-footer = Du får det här för att du prenumererar på driftmeddelanden från { $org }. Avsluta och radera dina uppgifter: { $unsubscribe }
notice-sms = { $org }: { $title } – { $phase }. { $url } Avsluta: { $unsubscribe }

# An announcement sent out by SMS and email; the link shows all of it.
announcement-subject = Meddelande från { $org }
announcement-confirm-link = Bekräfta att du har läst: svara OK eller öppna { $link }
