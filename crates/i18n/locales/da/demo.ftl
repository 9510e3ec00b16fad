# The demo organisation (`serve --demo`): its name, its people's titles, groups,
# positions and first messages. People's names are the same in every language.

demo-org-name = Lillby Kommune
demo-title-1 = Kommunaldirektør
demo-title-2 = Sikkerhedschef
demo-title-3 = Kommunikationschef
demo-title-4 = IT-chef
demo-title-5 = Socialchef
demo-title-6 = Beredskabschef
demo-title-7 = HR-chef
demo-title-8 = Økonomichef
demo-title-9 = Beredskabskoordinator
demo-title-10 = Driftstekniker
demo-title-11 = Systemforvalter
demo-title-12 = Netværkstekniker
demo-title-13 = Kommunikationsmedarbejder
demo-title-14 = Kommunikationsmedarbejder
demo-title-15 = Leder af hjemmeplejen
demo-title-16 = Leder af plejecenter
demo-title-17 = Skolechef
demo-title-18 = Teknisk chef
demo-title-19 = Miljøchef
demo-title-20 = Ejendomschef
demo-title-21 = Kommunalsekretær
demo-title-22 = IT-sikkerhedsspecialist
demo-title-23 = Servicedesk
demo-title-24 = Servicedesk
demo-title-25 = Visitator
demo-title-26 = Forsyningschef
demo-title-27 = Kommunaljurist
demo-title-28 = Sikkerhedskoordinator
demo-title-29 = Dagtilbudschef
demo-title-30 = Borgmester
demo-group-krisledning = Krisestyringsgruppe
demo-group-it-beredskap = IT-beredskab
demo-group-kommunikation = Kommunikation
demo-group-vard-och-omsorg = Sundhed og omsorg
demo-group-stab = Krisestab
demo-position-tib = Vagthavende i beredskab
demo-position-stabschef = Stabschef
demo-position-it-jour = IT-beredskab
demo-position-kommunikator-i-beredskap = Kommunikationsmedarbejder i beredskab
demo-position-krisledningschef = Formand for krisestaben
demo-channel-everyone = Alle i { $org }
demo-message-1 = E-mail og omstilling har været nede siden 07.40. Vi holder kontakten her indtil videre.
demo-message-2 = Socialforvaltningen kan ikke komme ind i journalsystemet. Vi bruger papirproceduren efter planen.
demo-message-3 = IT fejlsøger sammen med leverandøren. Næste situationsbillede kl. 10.00.
# The demo's external contacts, as the CSV `beredskap import contacts` reads. Numbers
# from 070-174 06 90 on are from the Swedish regulator's range for fiction.
demo-contacts-csv =
    name,organisation,phone,email,call_for,category
    Alarmcentral,,112,,fare for liv eller ejendom,Alarm og myndigheder
    Politiet,,114,,forhold der ikke haster,Alarm og myndigheder
    Driftsforstyrrelse fiber,Lillby Bynet,+46 70 174 06 90,drift@bynet.example,fiber- og netværksnedbrud,Leverandører
    Nødkaldsalarm,Trygge Hjem A/S,+46 70 174 06 91,alarm@tryggehjem.example,nødkaldsanlæggene i hjemmeplejen,Leverandører
    Vagt el,Lillby Energi,+46 70 174 06 92,,strømafbrud,Leverandører
    Vagthavende,Beredskabsstyrelsen,+46 70 174 06 93,vagt@beredskab.example,koordinering i regionen,Samarbejde

# The services on the overview: name | owner | alternative, one a line.
demo-services =
    Telefoni | IT-afdelingen, servicedesk | Tjenestemobiler; nummerliste i kontaktlisten
    Omstillingen | Borgerservice | Henvisning via kommunens hjemmeside og sociale medier
    E-mail | IT-afdelingen, servicedesk | Beredskap til intern kommunikation; telefon eksternt
    Selvbetjening | Digitaliseringsenheden | Papirblanketter i borgerservice
    Nødkald | Hjemmeplejen, alarmgruppen | Ekstra hjemmebesøg hos borgere med nødkald; alarmcentralens reservenummer
    Sagssystem | Sekretariatet | Noter i hånden, registrer bagefter
    Omsorgssystem | Social- og sundhedsforvaltningen | Udskrevne handleplaner i mappe på hver enhed

# The demo's priority list: made-up citizens, numbers from the range kept for fiction.
demo-priority-csv =
    name,address,phone,need,contact_person
    Astrid Holm,Storegade 12 1. tv.,+46 70 174 06 94,Nødkald; hjemmepleje fire gange i døgnet,Lars Holm (søn) +46 70 174 06 95
    Gunnar Eg,Byvej 3,,Ilt i hjemmet; hørehæmmet,Marie Eg (datter) +46 70 174 06 96
    Birte Sand,Skolegade 7 2. th.,+46 70 174 06 97,Nødkald; insulin,
    Niels Bjerg,Åvej 21,+46 70 174 06 98,Hjemmedialyse,Anne Bjerg (hustru) +46 70 174 06 99

# The demo's status page: the ways to reach the municipality.
demo-status-phone = +46 70 174 06 89
demo-status-address = Rådhuset, Storegade 1, Lillby
demo-status-hours = Hverdage 8–16
demo-status-note = Ved forstyrrelser i telefonien: ring reservenummeret eller kom til receptionen på rådhuset. Akut hjælp: 112.
demo-notice-title = Udskiftning af telefonomstillingen
demo-notice-body =
    Vi udskifter telefonomstillingen. Mens arbejdet står på, kan du ikke ringe til kommunens omstilling. Ring til reservenummeret eller kom forbi borgerservice på rådhuset.
    Nødkald påvirkes ikke.

demo-template-name = IT-nedbrud: saml krisestaben
demo-template-message = IT-nedbrud i hele kommunen. Krisestaben samles i stabsrummet på rådhuset hurtigst muligt. Kan du komme?
demo-template-options = Ja, Nej
